"""Core's form rendering (marketplace_core.forms_rendering): every form of the shop
renders through MarketplaceFormRenderer without the project setting FORM_RENDERER;
labels, help text and each error appear once, in the same markup on every page."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.conf import settings
from django.test import Client

from marketplace_core.catalog.forms import ProductForm
from marketplace_core.forms_rendering import MarketplaceForm, MarketplaceFormRenderer
from tests.panels_support import logged_in

pytestmark = pytest.mark.django_db


def errors_of(html: str) -> list[tuple[str, str]]:
    """(field name or "__all__", message) of each error paragraph shown."""
    found = []
    for name, block in re.findall(r'role="alert" data-errors-for="(\w+)">(.*?)</div>', html,
                                  re.S):
        found += [(name, message) for message in re.findall(r"<p>(.*?)</p>", block, re.S)]
    return found


def assert_each_error_once(html: str) -> list[tuple[str, str]]:
    errors = errors_of(html)
    assert errors, "the page shows errors"
    for _, message in errors:
        assert html.count(message) == 1, f"shown more than once: {message}"
    return errors


def test_the_renderer_needs_no_form_renderer_setting():
    assert not hasattr(settings, "FORM_RENDERER") or "marketplace" not in settings.FORM_RENDERER

    class Example(MarketplaceForm):
        name = forms.CharField(label="Name", help_text="As shown in the shop.")

    form = Example(data={"name": ""})
    assert isinstance(form.renderer, MarketplaceFormRenderer)
    html = str(form)
    assert '<div class="field field-name has-errors">' in html
    assert '<label for="id_name">Name</label>' in html
    assert '<small class="helptext" id="id_name_helptext">As shown in the shop.</small>' in html
    assert errors_of(html) == [("name", "This field is required.")]


def test_a_project_template_overrides_cores_field_template(settings, tmp_path):
    (tmp_path / "marketplace_core" / "forms").mkdir(parents=True)
    (tmp_path / "marketplace_core" / "forms" / "field.html").write_text(
        '<p class="project-field">{{ field.label }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    class Example(MarketplaceForm):
        name = forms.CharField(label="Name")

    assert '<p class="project-field">Name</p>' in str(Example())


@pytest.mark.parametrize(("url", "data", "expected"), [
    ("/accounts/login/", {"username": "nobody@example.com", "password": "wrong"}, ["__all__"]),
    ("/accounts/register/", {"email": "not-an-email", "name": "", "password1": "a",
                             "password2": "b"}, None),
    ("/accounts/password-reset/", {"email": "nope"}, ["email"]),
    ("/account/purchases/access/", {"email": "nope"}, ["email"]),
])
def test_account_forms_show_each_error_once(client: Client, url, data, expected):
    html = client.post(url, data).content.decode()
    names = [name for name, _ in assert_each_error_once(html)]
    if expected is not None:
        assert names == expected


def test_seller_forms_show_each_error_once_in_cores_markup(make_seller):
    client = logged_in(make_seller())
    product = client.post("/seller/products/new/", {"title": "", "price": "1.234",
                                                   "currency": "XXQ", "action": "publish"})
    errors = assert_each_error_once(product.content.decode())
    assert {name for name, _ in errors} == {"title", "currency", "file"}
    category = client.post("/seller/categories/new/", {"name": ""})
    assert errors_of(category.content.decode()) == [("name", "This field is required.")]
    discount = client.post("/seller/discounts/new/", {"code": "", "kind": "fixed"})
    assert_each_error_once(discount.content.decode())
    webhook = client.post("/seller/webhooks/new/", {"url": "ftp://x", "events": []})
    assert_each_error_once(webhook.content.decode())


def test_currency_is_a_select_of_real_currencies(make_seller):
    html = logged_in(make_seller()).get("/seller/products/new/").content.decode()
    select = re.search(r'<select name="currency"[^>]*>(.*?)</select>', html, re.S)
    assert select, "currency is a <select>"
    options = re.findall(r'<option value="(\w*)"( selected)?>([^<]*)</option>', select.group(1))
    codes = [code for code, _, _ in options]
    assert "USD" in codes and "EUR" in codes and "JPY" in codes
    assert "XXX" not in codes and "XAU" not in codes and "DEM" not in codes
    assert codes == sorted(codes)
    assert ("USD", " selected", "USD — US Dollar") in options  # the model's default


def test_a_stored_code_no_longer_in_use_stays_selected(make_seller, make_product):
    seller = make_seller()
    product = make_product(seller=seller)
    product.currency = "HRK"  # the Croatian kuna, replaced by the euro in 2023
    form = ProductForm(instance=product, seller=seller)
    assert '<option value="HRK" selected>HRK</option>' in str(form["currency"])


def test_the_discount_currency_may_stay_empty(make_seller):
    html = logged_in(make_seller()).get("/seller/discounts/new/").content.decode()
    select = re.search(r'<select name="currency"[^>]*>\s*<option value="" selected>—</option>',
                       html)
    assert select
