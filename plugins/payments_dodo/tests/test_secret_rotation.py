"""Rotating the webhook signing secret without losing a delivery.

Dodo signs with one secret at a time. While rotating, the site lists both
the old and the new one in ``WEBHOOK_SECRETS``; a delivery signed with
either is applied. Once the old secret is removed, its signatures are refused.
"""

from __future__ import annotations

import json

import pytest
from marketplace_payments_dodo.testing import new_id, new_secret

from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from tests.conftest import configure_secrets

pytestmark = pytest.mark.django_db

URL = "/payments/webhooks/dodo/"


def order_for(make_user, make_product) -> Order:
    return services.start_checkout(buyer=make_user(), product=make_product(price=1500),
                                   provider="dodo")


def delivery(dodo, order: Order, secret: str) -> tuple[bytes, dict[str, str]]:
    payment = dodo.record_payment(amount=order.amount, currency=order.currency,
                                  metadata={"order_reference": str(order.reference)})
    body = json.dumps(dodo.payment_event("payment.succeeded", payment)).encode()
    return body, dodo.sign(new_id("msg"), body, secret=secret)


def post(client, body: bytes, headers: dict[str, str]):
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **meta)


def test_both_secrets_are_accepted_while_rotating(client, dodo, settings, make_user,
                                                  make_product):
    old, new = dodo.webhook_secret, new_secret()
    configure_secrets(settings, new, old)
    first, second = order_for(make_user, make_product), order_for(make_user, make_product)

    signed_old = post(client, *delivery(dodo, first, old))
    signed_new = post(client, *delivery(dodo, second, new))

    assert (signed_old.status_code, signed_new.status_code) == (200, 200)
    assert services.owns(first.buyer, first.product)
    assert services.owns(second.buyer, second.product)


def test_the_old_secret_is_refused_once_removed(client, dodo, settings, make_user, make_product):
    old, new = dodo.webhook_secret, new_secret()
    configure_secrets(settings, new)
    order = order_for(make_user, make_product)

    refused = post(client, *delivery(dodo, order, old))

    assert refused.status_code == 400
    assert not services.owns(order.buyer, order.product)
    assert post(client, *delivery(dodo, order, new)).status_code == 200
    assert services.owns(order.buyer, order.product)


@pytest.mark.smoke
@pytest.mark.django_db(transaction=True)
def test_deliveries_keep_flowing_when_dodo_switches_secrets(live_server, dodo, settings,
                                                           make_user, make_product):
    old, new = dodo.webhook_secret, new_secret()
    configure_secrets(settings, old, new)
    dodo.webhook_url = live_server.url + URL
    before, after = order_for(make_user, make_product), order_for(make_user, make_product)

    dodo.send_event("payment.succeeded", dodo.record_payment(
        amount=before.amount, currency="USD", metadata={"order_reference": str(before.reference)}))
    dodo.wait_for_webhooks()
    dodo.webhook_secret = new  # rotated in the Dodo dashboard
    dodo.send_event("payment.succeeded", dodo.record_payment(
        amount=after.amount, currency="USD", metadata={"order_reference": str(after.reference)}))
    dodo.wait_for_webhooks()

    assert [w.attempts for w in dodo.webhooks] == [[200], [200]]
    assert services.owns(before.buyer, before.product)
    assert services.owns(after.buyer, after.product)
