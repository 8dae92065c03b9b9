"""The payment provider contract kit, tested against Acme Pay (``tests/acme.py``).

Acme Pay does not sign with Standard Webhooks, reports no disputes and no
"processing" event: its provider passes the whole kit through a plain
``ProviderHarness``, the way docs/payment-providers.md describes. Then each
subtly wrong variant of it must fail the kit test that exists to catch it, so
those tests cannot pass silently. Each kit test is run here as pytest would,
with the fixtures it asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, Payment
from marketplace_core.payments.providers import EventKind
from marketplace_core.testing.contracts import PaymentProviderContract
from tests.acme import PROVIDERS, AcmeHarness, AcmeService
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def acme_service() -> Iterator[AcmeService]:
    with AcmeService() as service:
        yield service


@pytest.fixture
def acme(acme_service: AcmeService, settings: Any) -> Iterator[AcmeService]:
    """Acme Pay configured and its providers (the honest one and the broken ones) registered."""
    settings.MARKETPLACE = {
        **settings.MARKETPLACE, "PAYMENT_PROVIDER": "acme",
        "acme": {"BASE_URL": acme_service.url, "WEBHOOK_SECRET": acme_service.secret},
    }
    acme_service.sessions.clear()
    with fake_plugins(plugin_module("acme_payments",
                                    register_payment_providers=lambda: list(PROVIDERS))):
        yield acme_service


class TestAcmeProviderContract(PaymentProviderContract):
    has_disputes = False
    has_processing_event = False

    @pytest.fixture
    def harness(self, acme: AcmeService) -> AcmeHarness:
        return AcmeHarness(acme)


KIT = TestAcmeProviderContract()


# -------------------------------------------------------------------------
# what a broken provider must fail
# -------------------------------------------------------------------------


@pytest.fixture
def buyer(make_user: Any) -> Any:
    return make_user(email="kit-buyer@example.com")


@pytest.fixture
def product(make_product: Any) -> Any:
    return make_product(title="Kit Field Guide", price=1999, currency="USD")


def broken(acme: AcmeService, settings: Any, identifier: str) -> AcmeHarness:
    """The harness for the provider ``identifier``, made the site's provider."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PAYMENT_PROVIDER": identifier}
    return AcmeHarness(acme, identifier)


def pending_order(harness: AcmeHarness, buyer: Any, product: Any) -> Order:
    return services.start_checkout(buyer=buyer, product=product, provider=harness.identifier,
                                   billing=dict(harness.billing))


def failure_of(kit_test: Any, **fixtures: Any) -> str:
    """Run ``kit_test`` with ``fixtures``; it must fail. Returns the failure's message."""
    with pytest.raises((AssertionError, pytest.fail.Exception)) as failed:
        kit_test(**fixtures)
    return str(failed.value)


def test_kit_fails_a_provider_that_reports_the_order_as_the_payment_id(
    client, acme, settings, buyer, product
):
    harness = broken(acme, settings, "acme_order_as_payment")

    message = failure_of(KIT.test_each_payment_attempt_keeps_its_own_payment_id,
                         client=client, harness=harness,
                         order=pending_order(harness, buyer, product))

    assert "each attempt is its own payment" in message
    assert Payment.objects.count() == 1, "both attempts went into one payment"


@pytest.mark.django_db(transaction=True)
def test_kit_fails_a_provider_whose_service_names_every_attempt_by_the_order(
    live_server, client, acme, settings, buyer, product, make_user
):
    """Its webhooks are read right, so the delivery-level test passes; only two real
    attempts at the hosted page show that the service got one payment id per order."""
    harness = broken(acme, settings, "acme_order_as_charge")
    KIT.test_each_payment_attempt_keeps_its_own_payment_id(
        client=client, harness=harness, order=pending_order(harness, make_user(), product))

    message = failure_of(KIT.test_a_declined_attempt_and_a_paid_one_are_two_payments,
                         live_server=live_server, client=client, harness=harness,
                         buyer=buyer, product=product)

    order = Order.objects.get(buyer=buyer)
    assert str(order.reference) in message
    assert list(order.payments.values_list("provider_payment_id", flat=True)) == [
        str(order.reference)]


@pytest.mark.django_db(transaction=True)
def test_kit_fails_a_provider_that_sends_the_buyer_back_without_the_order(
    live_server, client, acme, settings, buyer, product
):
    harness = broken(acme, settings, "acme_no_order_back")

    message = failure_of(KIT.test_paying_at_the_hosted_page_puts_the_product_in_my_products,
                         live_server=live_server, client=client, harness=harness,
                         buyer=buyer, product=product)

    assert "does not name the order" in message


def test_kit_fails_a_provider_that_a_signed_body_can_crash(acme, settings, buyer, product):
    harness = broken(acme, settings, "acme_json_loads")
    order = pending_order(harness, buyer, product)

    nested = failure_of(KIT.test_a_body_nested_100000_deep_is_refused,
                        harness=harness, order=order)
    fuzzed = failure_of(KIT.test_no_signed_body_is_answered_with_a_5xx,
                        harness=harness, order=order)

    assert nested.startswith("100,000 nested arrays: 500")
    assert fuzzed.startswith("500 for the signed body")


def test_kit_skips_what_the_contract_class_says_the_service_lacks():
    skipped = r"TestAcmeProviderContract\.has_disputes is False"
    with pytest.raises(pytest.skip.Exception, match=skipped):
        KIT.test_disputes_are_recorded_and_only_move_forward(client=None, harness=None,
                                                             order=None)
    assert KIT.event_kinds() == [EventKind.PAYMENT_FAILED, EventKind.PAYMENT_SUCCEEDED,
                                 EventKind.REFUND_SUCCEEDED]
    assert EventKind.DISPUTE in PaymentProviderContract().event_kinds()
