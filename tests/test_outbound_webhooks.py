"""Signed outbound webhooks, delivered to a real local HTTP receiver that verifies
each signature with the ``standardwebhooks`` library (docs/webhooks-outbound.md).

The sending task runs in process (eager), as core's other tasks do in these
tests; retries are made due by moving ``next_attempt_at`` to now, never by
waiting.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from marketplace_core.outbound import services
from marketplace_core.outbound.models import OutboundDelivery, WebhookEndpoint
from marketplace_core.outbound.services import RETRY_SCHEDULE
from marketplace_core.outbound.tasks import send_delivery, send_due_deliveries
from marketplace_core.ownership import services as ownership
from marketplace_core.payments.dummy import build_delivery
from marketplace_core.testing.factories import buy, make_product, make_seller, make_user, refund
from marketplace_core.testing.webhook_receiver import Answer, WebhookReceiver
from tests.payments_support import post_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receiver_allowed(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "WEBHOOKS_ALLOW_HTTP": True,
                            "WEBHOOKS_ALLOWED_ADDRESSES": ["127.0.0.1"],
                            "WEBHOOKS_READ_TIMEOUT": 1, "SITE_URL": "https://shop.example"}
    cache.clear()


@pytest.fixture
def receiver() -> Any:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def seller() -> Any:
    return make_seller(email="sam@example.com", name="Sam Seller")


def endpoint_for(seller: Any, receiver: WebhookReceiver, *events: str,
                 url: str | None = None) -> WebhookEndpoint:
    endpoint = services.create_endpoint(seller, url=url or f"{receiver.url}/hooks",
                                        description="", events=list(events or ["order.paid"]))
    receiver.secrets.append(endpoint.secret)
    return endpoint


def assert_next_wait(delivery: OutboundDelivery, at_least: dt.timedelta,
                     below: dt.timedelta) -> None:
    """The next attempt is due ``at_least`` after the last one started (and before the
    schedule's following step: no clock reading in between needs to be fast)."""
    last = delivery.attempt_log.order_by("-number").first()
    assert last is not None and delivery.next_attempt_at is not None
    assert at_least <= delivery.next_attempt_at - last.started_at < below


def make_due(delivery: OutboundDelivery) -> None:
    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_an_order_paid_through_the_payment_webhook_arrives_signed(
        seller: Any, receiver: WebhookReceiver, client: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    endpoint = endpoint_for(seller, receiver, "order.paid")
    product = make_product(seller=seller, title="Field Guide", price=1999, currency="USD")
    order = ownership.start_checkout(buyer=make_user(email="bea@example.com"),
                                     product=product, provider="dummy")
    body, headers = build_delivery("payment.succeeded", {
        "order_reference": str(order.reference), "payment_id": "pay_1",
        "amount": order.amount, "currency": order.currency})

    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, body, headers).status_code == 200

    [message] = receiver.wait_for(1)
    assert message.verified_by == (endpoint.secret,)
    assert message.path == "/hooks"
    assert message.headers["webhook-id"].startswith("msg_")
    payload = message.payload
    assert payload["type"] == "order.paid"
    assert payload["data"]["order"]["reference"] == str(order.reference)
    assert payload["data"]["order"]["amount"] == 1999
    assert payload["data"]["order"]["buyer_email"] == "bea@example.com"
    assert payload["data"]["order"]["product"]["title"] == "Field Guide"
    assert payload["data"]["payment"]["id"] == "pay_1"
    delivery = OutboundDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == OutboundDelivery.Status.SUCCEEDED
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 204 and attempt.number == 1


def test_the_payment_reported_twice_is_sent_once(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    endpoint_for(seller, receiver, "order.paid")
    product = make_product(seller=seller)
    with django_capture_on_commit_callbacks(execute=True):
        purchase = buy(make_user(), product)
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(seller, "order.paid", {"again": True},
                      key=f"order.paid:{purchase.order.pk}")

    receiver.wait_for(1)
    assert OutboundDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_only_subscribed_active_endpoints_of_the_seller_get_the_event(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    wanted = endpoint_for(seller, receiver, "order.refunded")
    endpoint_for(seller, receiver, "product.published")
    off = endpoint_for(seller, receiver, "order.refunded")
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)
    endpoint_for(make_seller(), receiver, "order.refunded")
    product = make_product(seller=seller)
    purchase = buy(make_user(), product)

    with django_capture_on_commit_callbacks(execute=True):
        refund(purchase)

    assert list(OutboundDelivery.objects.values_list("endpoint_id", "event_type")) == [
        (wanted.pk, "order.refunded")]
    [message] = receiver.wait_for(1)
    assert message.verified_by == (wanted.secret,)
    assert message.payload["data"]["refund"]["amount"] == product.price


def test_product_published_is_sent_once(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace_core.catalog import services as catalog
    from marketplace_core.catalog.models import Product

    endpoint_for(seller, receiver, "product.published")
    product = Product(title="Atlas", price=500, currency="USD")
    with django_capture_on_commit_callbacks(execute=True):
        catalog.save_product(product, seller=seller, publish=False)
    assert not OutboundDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        catalog.save_product(product, seller=seller, publish=True,
                             upload=SimpleUploadedFile("atlas.pdf", b"%PDF-1.4 atlas"))
    with django_capture_on_commit_callbacks(execute=True):
        product.title = "Atlas, second edition"
        catalog.save_product(product, seller=seller, publish=True)

    [message] = receiver.wait_for(1)
    assert message.payload["type"] == "product.published"
    assert message.payload["data"]["product"]["title"] == "Atlas"
    assert OutboundDelivery.objects.count() == 1


def test_a_rolled_back_change_sends_nothing(seller: Any, receiver: WebhookReceiver,
                                            django_capture_on_commit_callbacks: Any) -> None:
    from django.db import transaction

    endpoint_for(seller, receiver, "order.paid")
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(RuntimeError), transaction.atomic():
        services.emit(seller, "order.paid", {"x": 1}, key="k")
        raise RuntimeError("rolled back")
    assert not OutboundDelivery.objects.exists()
    assert receiver.received == []


def test_an_unregistered_event_type_fails_in_the_caller(seller: Any) -> None:
    with pytest.raises(ValueError, match=r"license\.activated"):
        services.emit(seller, "license.activated", {})


def test_retries_after_500s_then_succeeds(seller: Any, receiver: WebhookReceiver,
                                          django_capture_on_commit_callbacks: Any) -> None:
    endpoint = endpoint_for(seller, receiver, "order.paid")
    receiver.answer_with(Answer(500, b"database down"), 503)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.emit(seller, "order.paid", {"n": 1}, key="k1")

    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert_next_wait(delivery, RETRY_SCHEDULE[0], RETRY_SCHEDULE[1])
    assert send_due_deliveries() == 0  # not due yet
    make_due(delivery)
    assert send_due_deliveries() == 1
    delivery.refresh_from_db()
    assert_next_wait(delivery, RETRY_SCHEDULE[1], RETRY_SCHEDULE[2])
    make_due(delivery)
    send_due_deliveries()

    messages = receiver.wait_for(3)
    assert [m.answered for m in messages] == [500, 503, 204]
    assert all(m.verified for m in messages)
    assert len({m.headers["webhook-id"] for m in messages}) == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.SUCCEEDED
    log = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 503), (3, 204)]
    assert log[0].response_excerpt == "database down"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_active


def test_the_response_excerpt_is_at_most_1_kb(seller: Any, receiver: WebhookReceiver) -> None:
    endpoint_for(seller, receiver, "order.paid")
    receiver.answer_with(Answer(500, b"x" * 3000))
    [delivery] = services.emit(seller, "order.paid", {}, key="k")
    send_delivery(delivery.pk)
    assert len(delivery.attempt_log.get().response_excerpt) == 1024


def test_a_timeout_counts_as_a_failed_attempt(seller: Any, receiver: WebhookReceiver) -> None:
    endpoint_for(seller, receiver, "order.paid")
    receiver.answer_with(Answer(204, delay=10))  # read timeout is 1 s
    [delivery] = services.emit(seller, "order.paid", {}, key="k")

    assert send_delivery(delivery.pk) == "failed"

    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and attempt.error == "Timed out"
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.PENDING


def test_redirects_are_not_followed(seller: Any, receiver: WebhookReceiver) -> None:
    endpoint_for(seller, receiver, "order.paid")
    receiver.answer_with(Answer(302, headers={"Location": f"{receiver.url}/elsewhere"}))
    [delivery] = services.emit(seller, "order.paid", {}, key="k")

    assert send_delivery(delivery.pk) == "failed"

    assert [m.path for m in receiver.wait_for(1)] == ["/hooks"]
    assert delivery.attempt_log.get().status_code == 302


def test_a_name_resolving_to_127_0_0_1_is_refused(
        seller: Any, receiver: WebhookReceiver, settings: Any, monkeypatch: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "WEBHOOKS_ALLOWED_ADDRESSES": []}
    resolve = socket.getaddrinfo

    def fake_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.attacker.example.com":  # public name, rebound to loopback
            return resolve("127.0.0.1", *args, **kwargs)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    url = f"http://hooks.attacker.example.com:{receiver.port}/hooks"
    rebound = endpoint_for(seller, receiver, "order.paid", url=url)
    # saved before the rules changed: a local name caught when sending too
    local = WebhookEndpoint.objects.create(seller=seller, url=f"http://localhost:{receiver.port}/",
                                           events=["order.paid"], secret=rebound.secret)

    deliveries = services.emit(seller, "order.paid", {}, key="k")
    for delivery in deliveries:
        assert send_delivery(delivery.pk) == "failed"

    errors = {d.endpoint_id: d.attempt_log.get().error for d in deliveries}
    assert errors == {
        rebound.pk: "Refused: Local or private network addresses are not allowed.",
        local.pk: "Refused: Use a public domain name such as example.com.",
    }
    assert receiver.received == []


def test_the_checked_address_is_the_one_connected_to(
        seller: Any, receiver: WebhookReceiver, monkeypatch: Any) -> None:
    """DNS rebinding: the name is resolved once; a second answer is never used."""
    resolve = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.1.2.3"])
    lookups: list[str] = []

    def rebinding_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.shop-tools.com":
            lookups.append(host)
            return resolve(next(answers), *args, **kwargs)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    endpoint_for(seller, receiver, "order.paid",
                 url=f"http://hooks.shop-tools.com:{receiver.port}/hooks")
    [delivery] = services.emit(seller, "order.paid", {}, key="k")

    assert send_delivery(delivery.pk) == "succeeded"
    assert lookups == ["hooks.shop-tools.com"]
    [message] = receiver.wait_for(1)
    assert message.headers["host"] == f"hooks.shop-tools.com:{receiver.port}"


def test_rotation_signs_with_both_secrets_for_24_hours(seller: Any,
                                                       receiver: WebhookReceiver) -> None:
    endpoint = endpoint_for(seller, receiver, "order.paid")
    old = endpoint.secret
    endpoint = services.rotate_secret(endpoint)
    receiver.secrets = [old, endpoint.secret]

    [first] = services.emit(seller, "order.paid", {}, key="during")
    send_delivery(first.pk)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1))
    [second] = services.emit(seller, "order.paid", {}, key="after")
    send_delivery(second.pk)

    during, after = receiver.wait_for(2)
    assert len(during.signatures) == 2
    assert during.verified_by == (old, endpoint.secret)
    assert len(after.signatures) == 1
    assert after.verified_by == (endpoint.secret,)


def test_an_endpoint_failing_for_3_days_is_disabled_and_the_seller_emailed_once(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    endpoint = endpoint_for(seller, receiver, "order.paid")
    assert sum(RETRY_SCHEDULE, dt.timedelta()) > dt.timedelta(days=2, hours=18)
    receiver.answer_with(*[500] * (len(RETRY_SCHEDULE) + 1))
    [delivery] = services.emit(seller, "order.paid", {}, key="k")
    with django_capture_on_commit_callbacks(execute=True):
        send_delivery(delivery.pk)
        for _retry in RETRY_SCHEDULE:
            make_due(delivery)
            send_due_deliveries()
        send_due_deliveries()  # nothing more to send

    assert len(receiver.wait_for(len(RETRY_SCHEDULE) + 1)) == len(RETRY_SCHEDULE) + 1
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.FAILED
    assert delivery.attempts == len(RETRY_SCHEDULE) + 1
    assert not endpoint.is_active
    assert "every delivery failed for about 3 days (last answer: HTTP 500)" in (
        endpoint.disabled_reason)
    [message] = [m for m in mail.outbox if m.to == ["sam@example.com"]]
    assert "A webhook endpoint was turned off" in message.subject
    assert endpoint.url in message.body
    assert f"https://shop.example/seller/webhooks/{endpoint.pk}/" in message.body

    # a later event is not sent to it, and the seller hears nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert services.emit(seller, "order.paid", {}, key="later") == []
        send_due_deliveries()
    assert len([m for m in mail.outbox if m.to == ["sam@example.com"]]) == 1


def test_resend_sends_again_with_the_same_id(seller: Any, receiver: WebhookReceiver,
                                             django_capture_on_commit_callbacks: Any) -> None:
    endpoint_for(seller, receiver, "order.paid")
    [delivery] = services.emit(seller, "order.paid", {}, key="k")
    send_delivery(delivery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend(delivery)

    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.verified
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == OutboundDelivery.Status.SUCCEEDED


def test_the_task_run_twice_sends_once(seller: Any, receiver: WebhookReceiver) -> None:
    endpoint_for(seller, receiver, "order.paid")
    [delivery] = services.emit(seller, "order.paid", {}, key="k")

    assert send_delivery(delivery.pk) == "succeeded"
    assert send_delivery(delivery.pk) == "skipped"
    assert send_due_deliveries() == 0

    assert len(receiver.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.attempt_log.count() == 1


def test_a_claim_of_a_dead_worker_is_taken_over_by_the_sweep(
        seller: Any, receiver: WebhookReceiver) -> None:
    endpoint_for(seller, receiver, "order.paid")
    [delivery] = services.emit(seller, "order.paid", {}, key="k")
    assert services.claim(delivery.pk) is not None  # a worker took it, then died
    assert send_delivery(delivery.pk) == "skipped"
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - services.CLAIM_TIMEOUT - dt.timedelta(seconds=1))

    assert send_due_deliveries() == 1

    receiver.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.SUCCEEDED
    assert [a.number for a in delivery.attempt_log.all()] == [2]


def test_an_endpoint_deleted_while_its_request_is_out_is_no_error(
        seller: Any, receiver: WebhookReceiver) -> None:
    endpoint = endpoint_for(seller, receiver, "order.paid")
    [delivery] = services.emit(seller, "order.paid", {}, key="k")
    claimed = services.claim(delivery.pk)
    assert claimed is not None
    endpoint.delete()

    assert services.record_attempt(claimed, started_at=timezone.now(), duration_ms=5,
                                   status_code=204) is None
    assert not OutboundDelivery.objects.exists()


@pytest.fixture
def tls_for(tmp_path: Any, monkeypatch: Any) -> Any:
    """A server TLS context with a self-signed certificate for a name, trusted by the
    sender (``SSL_CERT_FILE``), and DNS answering 127.0.0.1 for that name."""
    import ssl
    import subprocess

    resolve = socket.getaddrinfo

    def make(certified: str, resolved: str) -> ssl.SSLContext:
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={certified}",
             "-addext", f"subjectAltName=DNS:{certified}",
             "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
             "-addext", "extendedKeyUsage=serverAuth"],
            check=True, capture_output=True, timeout=60)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **kw: resolve(
            "127.0.0.1" if host == resolved else host, *a, **kw))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return context

    return make


def test_https_to_the_pinned_address_checks_the_certificate_of_the_name(
        seller: Any, tls_for: Any) -> None:
    with WebhookReceiver(tls=tls_for("hooks.shop-tools.com", "hooks.shop-tools.com")) as rx:
        endpoint_for(seller, rx, "order.paid",
                     url=f"https://hooks.shop-tools.com:{rx.port}/in")
        [delivery] = services.emit(seller, "order.paid", {}, key="k")

        assert send_delivery(delivery.pk) == "succeeded"
        [message] = rx.wait_for(1)
    assert message.verified and message.headers["host"] == f"hooks.shop-tools.com:{rx.port}"


def test_https_with_a_certificate_for_another_name_fails(seller: Any, tls_for: Any) -> None:
    with WebhookReceiver(tls=tls_for("other.shop-tools.com", "hooks.shop-tools.com")) as rx:
        endpoint_for(seller, rx, "order.paid",
                     url=f"https://hooks.shop-tools.com:{rx.port}/in")
        [delivery] = services.emit(seller, "order.paid", {}, key="k")

        assert send_delivery(delivery.pk) == "failed"
        assert rx.received == []
    assert delivery.attempt_log.get().error.startswith("TLS error: ")


def test_an_answer_trickled_byte_by_byte_is_cut_off(seller: Any,
                                                    receiver: WebhookReceiver) -> None:
    """Each byte comes within the 1 s read timeout; the whole answer would take 8 s."""
    endpoint_for(seller, receiver, "order.paid")
    receiver.answer_with(Answer(204, trickle=0.5))
    [delivery] = services.emit(seller, "order.paid", {}, key="k")

    assert send_delivery(delivery.pk) == "failed"

    assert delivery.attempt_log.get().error == "Timed out"


def test_money_events_whose_hook_never_ran_are_caught_up_once(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    from marketplace_core.outbound.catch_up import SETTLE, catch_up

    endpoint = endpoint_for(seller, receiver, "order.paid", "order.refunded")
    product = make_product(seller=seller, title="Field Guide")
    # The process died after these commits: their after-commit hooks never ran.
    paid = buy(make_user(email="bea@example.com"), product)
    refunded = buy(make_user(), product)
    refund(refunded)
    assert not OutboundDelivery.objects.exists()
    later = timezone.now() + SETTLE + dt.timedelta(seconds=1)
    assert catch_up(now=timezone.now()) == 0  # too fresh: the hooks may still be running

    with django_capture_on_commit_callbacks(execute=True):
        assert catch_up(now=later) == 3
    messages = receiver.wait_for(3)

    assert sorted((m.payload["type"], m.payload["data"]["order"]["reference"])
                  for m in messages) == sorted([
        ("order.paid", str(paid.order.reference)),
        ("order.paid", str(refunded.order.reference)),
        ("order.refunded", str(refunded.order.reference))])
    assert all(m.verified_by == (endpoint.secret,) for m in messages)
    with django_capture_on_commit_callbacks(execute=True):
        assert catch_up(now=later) == 0  # sent already: never twice
    assert OutboundDelivery.objects.count() == 3


def test_the_catch_up_sends_nothing_the_hook_sent_or_an_endpoint_never_chose(
        seller: Any, receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any) -> None:
    from marketplace_core.outbound.catch_up import SETTLE, catch_up

    product = make_product(seller=seller)
    before = buy(make_user(), product)  # paid before any endpoint existed
    endpoint_for(seller, receiver, "product.published")
    endpoint = endpoint_for(seller, receiver, "order.paid")
    with django_capture_on_commit_callbacks(execute=True):
        sent = buy(make_user(), product)  # its hook ran
    receiver.wait_for(1)

    later = timezone.now() + SETTLE + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert catch_up(now=later) == 0

    assert list(OutboundDelivery.objects.values_list("endpoint_id", "event_type")) == [
        (endpoint.pk, "order.paid")]
    assert before.order.pk != sent.order.pk
