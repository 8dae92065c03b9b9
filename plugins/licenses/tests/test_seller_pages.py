"""The seller's license pages: keys per product, one key's activations, disable
/ enable, free an activation, the product's license settings; another seller's
objects are 404 and the pages' queries do not grow with the rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from marketplace_licenses import services
from marketplace_licenses.models import Activation, LicenseKey, LicensePolicy

from marketplace_core.testing.factories import logged_in

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_key_with_buyer_status_and_usage(seller_client, license_key):
    services.activate(license_key.key, "Studio PC")
    response = seller_client.get(reverse("licenses:keys"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{license_key.prefix}…" in html
    assert license_key.key not in html  # the seller never sees the whole key
    assert "Bea Buyer" in html
    assert "Pixel Editor Pro" in html
    assert "1 / 3" in html
    assert "Active" in html


def test_the_list_filters_by_product(seller_client, license_key, paid, make_user,
                                     make_product, seller):
    other = make_product(seller=seller, title="Other App")
    LicensePolicy.objects.create(product=other, issue_keys=True)
    other_key = LicenseKey.objects.get(purchase=paid(make_user(), other))
    response = seller_client.get(reverse("licenses:keys"), {"product": other.pk})
    html = response.content.decode()
    assert f'data-key="{other_key.prefix}"' in html
    assert f'data-key="{license_key.prefix}"' not in html


def test_another_sellers_keys_are_not_listed(make_seller, license_key):
    response = logged_in(make_seller()).get(reverse("licenses:keys"))
    assert license_key.prefix not in response.content.decode()


def test_the_list_makes_the_same_queries_for_many_keys(
        seller_client, paid, make_user, product, django_assert_max_num_queries):
    for _ in range(3):
        paid(make_user(), product)
    with django_assert_max_num_queries(12) as few:
        seller_client.get(reverse("licenses:keys"))
    for _ in range(7):
        paid(make_user(), product)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = seller_client.get(reverse("licenses:keys"))
    assert response.content.decode().count("data-key=") == 10


def test_disable_then_enable_a_key(seller_client, license_key, api):
    response = seller_client.post(reverse("licenses:key_disable", args=[license_key.pk]))
    assert response.status_code == 302
    assert api.post("validate", license_key=license_key.key).status_code == 404
    page = seller_client.get(reverse("licenses:key_detail", args=[license_key.pk]))
    assert "Disabled" in page.content.decode()
    seller_client.post(reverse("licenses:key_enable", args=[license_key.pk]))
    assert api.post("validate", license_key=license_key.key).status_code == 200


def test_a_refunded_key_cannot_be_enabled(seller_client, refunded, purchase, license_key, api):
    refunded(purchase)
    page = seller_client.get(reverse("licenses:key_detail", args=[license_key.pk]))
    assert "refunded" in page.content.decode()
    assert b'data-action="enable"' not in page.content
    response = seller_client.post(reverse("licenses:key_enable", args=[license_key.pk]),
                                  follow=True)
    assert "cannot be enabled again" in response.content.decode()
    assert api.post("validate", license_key=license_key.key).status_code == 404


def test_free_an_activation(seller_client, license_key):
    state = services.activate(license_key.key, "Old laptop")
    assert state.instance is not None
    page = seller_client.get(reverse("licenses:key_detail", args=[license_key.pk]))
    assert "Old laptop" in page.content.decode()
    response = seller_client.post(reverse("licenses:activation_free", args=[state.instance.pk]))
    assert response.status_code == 302
    assert not Activation.objects.filter(pk=state.instance.pk).exists()


def test_another_sellers_key_and_activation_are_404(make_seller, license_key):
    state = services.activate(license_key.key, "PC")
    assert state.instance is not None
    stranger = logged_in(make_seller())
    assert stranger.get(reverse("licenses:key_detail", args=[license_key.pk])).status_code == 404
    for name, pk in (("key_disable", license_key.pk), ("key_enable", license_key.pk),
                     ("activation_free", state.instance.pk)):
        assert stranger.post(reverse(f"licenses:{name}", args=[pk])).status_code == 404
    license_key.refresh_from_db()
    assert license_key.disabled_at is None
    assert Activation.objects.filter(pk=state.instance.pk).exists()


def test_buyers_cannot_open_seller_pages(buyer_client, license_key):
    assert buyer_client.get(reverse("licenses:keys")).status_code == 403
    assert buyer_client.post(
        reverse("licenses:key_disable", args=[license_key.pk])).status_code == 403


def test_the_posts_need_a_csrf_token(seller, license_key):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    assert client.post(reverse("licenses:key_disable", args=[license_key.pk])).status_code == 403


# -- the product's license settings, on its edit page ------------------------------------


def test_the_edit_page_has_the_license_section(seller_client, product):
    response = seller_client.get(reverse("marketplace:seller_product_update", args=[product.pk]))
    html = response.content.decode()
    assert 'data-section="licenses"' in html
    assert reverse("licenses:policy", args=[product.pk]) in html
    assert 'value="3"' in html  # the activation limit as saved


def test_saving_the_settings(seller_client, make_product, seller):
    product = make_product(seller=seller)
    response = seller_client.post(reverse("licenses:policy", args=[product.pk]), {
        "issue_keys": "on", "activation_limit": "", "validity_days": "365"})
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("marketplace:seller_product_update", args=[product.pk]))
    policy = LicensePolicy.objects.get(product=product)
    assert (policy.issue_keys, policy.activation_limit, policy.validity_days) == (True, None, 365)


def test_bad_settings_are_refused_with_a_message(seller_client, product):
    response = seller_client.post(reverse("licenses:policy", args=[product.pk]),
                                  {"issue_keys": "on", "activation_limit": "0"}, follow=True)
    assert "License settings not saved" in response.content.decode()
    assert LicensePolicy.objects.get(product=product).activation_limit == 3


def test_another_sellers_product_settings_are_404(make_seller, product: Any):
    response = logged_in(make_seller()).post(reverse("licenses:policy", args=[product.pk]),
                                         {"issue_keys": ""})
    assert response.status_code == 404
    assert LicensePolicy.objects.get(product=product).issue_keys is True


def test_the_key_page_makes_the_same_queries_for_many_activations(
        seller_client, license_key, django_assert_max_num_queries):
    from marketplace_licenses.models import LicenseKey

    LicenseKey.objects.filter(pk=license_key.pk).update(activation_limit=None)
    services.activate(license_key.key, "PC 0")
    url = reverse("licenses:key_detail", args=[license_key.pk])
    with django_assert_max_num_queries(12) as few:
        seller_client.get(url)
    for n in range(1, 8):
        services.activate(license_key.key, f"PC {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = seller_client.get(url)
    assert response.content.decode().count('data-action="free"') == 8
