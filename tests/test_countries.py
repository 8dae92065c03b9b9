"""The checkout's country: a select of ISO 3166-1 countries in the buyer's language,
narrowed to what the payment provider sells to when it says."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.utils import translation

from marketplace_core.ownership.models import Order
from marketplace_core.payments.countries import allowed_countries, country_choices
from marketplace_core.payments.dummy import DummyProvider
from marketplace_core.payments.forms import BillingForm
from marketplace_core.plugins.registry import payment_provider
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db

BILLING = {"name": "Ada Buyer", "email": "ada@example.org"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def buyer_client(client, make_user):
    client.force_login(make_user())
    return client


def offered(html: str) -> list[str]:
    return re.findall(r'<option value="([A-Z]{2})"', html)


def test_the_form_offers_every_iso_country_by_name(buyer_client, make_product):
    product = make_product()
    html = buyer_client.get(f"/products/{product.slug}/buy/").content.decode()
    assert '<select name="country"' in html and 'autocomplete="country"' in html
    codes = offered(html)
    assert len(codes) == 249 and len(set(codes)) == 249  # ISO 3166-1 today
    assert '<option value="DE">Germany</option>' in html
    assert '<option value="GE">Georgia</option>' in html
    assert "XK" not in codes  # Kosovo has a CLDR name but no ISO 3166-1 code


def test_names_are_in_the_buyers_language_and_sorted_as_read():
    with translation.override("de"):
        form = BillingForm(fields=("country",))
        choices = dict(form.fields["country"].choices)
    assert choices["DE"] == "Deutschland" and choices["AT"] == "Österreich"
    names = [name for _, name in country_choices(language="de")]
    # "Österreich" sorts with the O's, not after "Z".
    assert names.index("Oman") < names.index("Österreich") < names.index("Pakistan")


@pytest.mark.parametrize(("posted", "stored"), [("GE", "GE"), ("de", "DE"), (" nl ", "NL")])
def test_a_country_code_from_the_list_is_stored(buyer_client, make_product, posted, stored):
    product = make_product()
    response = buyer_client.post(f"/products/{product.slug}/buy/",
                                 {**BILLING, "country": posted})
    assert response.status_code == 302
    assert Order.objects.get().billing["country"] == stored


@pytest.mark.parametrize("posted", ["Germany", "XK", "ZZ", "", "D"])
def test_anything_else_is_a_form_error_and_no_order(buyer_client, make_product, posted):
    product = make_product()
    response = buyer_client.post(f"/products/{product.slug}/buy/",
                                 {**BILLING, "country": posted})
    assert response.status_code == 400
    assert "country" in response.context["form"].errors
    assert not Order.objects.exists()


class CountingProvider(DummyProvider):
    """The dummy provider, selling to a few countries, counting how often it is asked."""

    identifier = "fewcountries"
    verbose_name = "Few countries"
    asked = 0
    answer: object = ["DE", "FR", "nl", "XX"]

    def supported_countries(self):
        type(self).asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def few_countries(settings):
    CountingProvider.asked = 0
    CountingProvider.answer = ["DE", "FR", "nl", "XX"]
    plugin = plugin_module("fake_countries", register_payment_providers=lambda: [CountingProvider])
    with fake_plugins(plugin):
        settings.MARKETPLACE = {**settings.MARKETPLACE, "PAYMENT_PROVIDER": "fewcountries"}
        yield CountingProvider


def test_the_providers_countries_narrow_the_list_and_are_cached(few_countries, buyer_client,
                                                                make_product):
    product = make_product()
    for _ in range(2):
        html = buyer_client.get(f"/products/{product.slug}/buy/").content.decode()
        assert offered(html) == ["FR", "DE", "NL"]  # by name: France, Germany, Netherlands
    refused = buyer_client.post(f"/products/{product.slug}/buy/", {**BILLING, "country": "US"})
    assert refused.status_code == 400
    assert "Choose your country from the list." in refused.content.decode()
    assert not Order.objects.exists()
    assert few_countries.asked == 1


@pytest.mark.parametrize("answer", [RuntimeError("service down"), [], ["??"], None])
def test_no_usable_answer_offers_every_country(few_countries, answer, caplog):
    few_countries.answer = answer
    assert allowed_countries(payment_provider()) is None
    if answer is not None:
        assert "fewcountries" in caplog.text
