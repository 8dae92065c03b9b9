"""The seller panel's Webhooks pages: endpoints, secret rotation, test events,
the delivery log and Resend; another seller's objects are 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from marketplace_core.outbound import services
from marketplace_core.outbound.models import OutboundDelivery, WebhookEndpoint
from marketplace_core.outbound.tasks import send_delivery
from marketplace_core.testing.factories import logged_in, make_seller, make_user
from marketplace_core.testing.webhook_receiver import Answer, WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Counts of test events live in the cache by seller id; ids come back after rollback."""
    cache.clear()


@pytest.fixture
def seller() -> Any:
    return make_seller(email="sam@example.com")


@pytest.fixture
def local(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "WEBHOOKS_ALLOW_HTTP": True,
                            "WEBHOOKS_ALLOWED_ADDRESSES": ["127.0.0.1"]}


def make_endpoint(seller: Any, url: str = "https://hooks.shop-tools.com/in") -> WebhookEndpoint:
    return services.create_endpoint(seller, url=url, description="CRM", events=["order.paid"])


def test_the_seller_nav_has_webhooks(seller: Any) -> None:
    page = logged_in(seller).get(reverse("marketplace:seller_webhooks"))
    assert page.status_code == 200
    assert b'href="/seller/webhooks/"' in page.content
    assert b"No endpoints yet." in page.content


def test_buyers_may_not_see_webhooks() -> None:
    assert logged_in(make_user()).get("/seller/webhooks/").status_code == 403


def test_creating_an_endpoint_shows_its_secret(seller: Any) -> None:
    client = logged_in(seller)
    response = client.post("/seller/webhooks/new/", {
        "url": " https://Hooks.Shop-Tools.com/in ", "description": "CRM",
        "events": ["order.paid", "order.refunded"]})

    endpoint = WebhookEndpoint.objects.get(seller=seller)
    assert response.status_code == 302
    assert response["Location"] == f"/seller/webhooks/{endpoint.pk}/"
    assert endpoint.url == "https://hooks.shop-tools.com/in"
    assert endpoint.events == ["order.paid", "order.refunded"]
    assert endpoint.secret.startswith("whsec_")
    page = client.get(response["Location"])
    assert endpoint.secret.encode() in page.content
    assert b"Send test event" in page.content and b"Rotate secret" in page.content


@pytest.mark.parametrize("url, error", [
    ("http://hooks.shop-tools.com/in", "Use an https:// URL."),
    ("https://127.0.0.1/in", "Local or private network addresses are not allowed."),
    ("https://169.254.169.254/latest", "Local or private network addresses are not allowed."),
    ("https://[::1]/in", "Local or private network addresses are not allowed."),
    ("https://localhost/in", "Use a public domain name such as example.com."),
    ("https://printer.local/in", "Local network names are not allowed."),
    ("https://user:pw@hooks.shop-tools.com/", "URLs with a user name or password"),
    ("ftp://hooks.shop-tools.com/", "Use an https:// URL."),
])
def test_unsafe_urls_are_refused_with_a_reason(seller: Any, url: str, error: str) -> None:
    response = logged_in(seller).post("/seller/webhooks/new/", {
        "url": url, "events": ["order.paid"]})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_needs_an_event(seller: Any) -> None:
    response = logged_in(seller).post("/seller/webhooks/new/", {
        "url": "https://hooks.shop-tools.com/in"})
    assert "Choose at least one event." in response.content.decode()


def test_unknown_events_are_refused(seller: Any) -> None:
    response = logged_in(seller).post("/seller/webhooks/new/", {
        "url": "https://hooks.shop-tools.com/in", "events": ["order.stolen"]})
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_http_is_allowed_where_configured(seller: Any, local: None) -> None:
    logged_in(seller).post("/seller/webhooks/new/", {
        "url": "http://127.0.0.1:8123/in", "events": ["order.paid"]})
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:8123/in"


def test_editing_turns_a_disabled_endpoint_back_on(seller: Any) -> None:
    endpoint = make_endpoint(seller)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Turned off", failing_since="2026-01-01T00:00Z")
    client = logged_in(seller)
    assert b"Turned off" in client.get(f"/seller/webhooks/{endpoint.pk}/").content
    form = client.get(f"/seller/webhooks/{endpoint.pk}/edit/").content.decode()
    assert f'value="{endpoint.url}"' in form and 'value="CRM"' in form
    assert re.search(r'<input[^>]*value="order.paid"[^>]*checked', form)
    assert not re.search(r'<input[^>]*name="is_active"[^>]*checked', form)

    client.post(f"/seller/webhooks/{endpoint.pk}/edit/", {
        "url": endpoint.url, "description": "", "events": ["product.published"],
        "is_active": "on"})

    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_reason == "" and endpoint.failing_since is None
    assert endpoint.events == ["product.published"]


def test_rotate_keeps_the_old_secret_signing_for_a_day(seller: Any) -> None:
    endpoint = make_endpoint(seller)
    old = endpoint.secret
    client = logged_in(seller)
    assert client.get(f"/seller/webhooks/{endpoint.pk}/rotate/").status_code == 405

    page = client.post(f"/seller/webhooks/{endpoint.pk}/rotate/", follow=True)

    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret.encode() in page.content
    assert b"The previous secret also signs until" in page.content
    assert old.encode() not in page.content


def test_send_test_event_and_resend_from_the_log(
        seller: Any, local: None, django_capture_on_commit_callbacks: Any) -> None:
    with WebhookReceiver() as receiver:
        endpoint = make_endpoint(seller, url=f"{receiver.url}/in")
        receiver.secrets = [endpoint.secret]
        receiver.answer_with(Answer(500, b"<h1>oops</h1>"))
        client = logged_in(seller)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/seller/webhooks/{endpoint.pk}/test/")
        [first] = receiver.wait_for(1)
        assert first.verified and first.payload["type"] == "webhook.test"

        page = client.get(f"/seller/webhooks/{endpoint.pk}/").content.decode()
        assert "#1 · HTTP 500" in page
        assert "&lt;h1&gt;oops&lt;/h1&gt;" in page  # the excerpt, escaped
        delivery = OutboundDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/seller/webhooks/deliveries/{delivery.pk}/resend/")
        assert response.status_code == 302
        first, second = receiver.wait_for(2)
        assert second.headers["webhook-id"] == first.headers["webhook-id"]
        assert "#2 · HTTP 204" in client.get(f"/seller/webhooks/{endpoint.pk}/").content.decode()


def test_another_sellers_endpoint_and_delivery_are_404(seller: Any) -> None:
    theirs = make_endpoint(make_seller())
    [delivery] = [services.send_test_event(theirs)]
    client = logged_in(seller)
    for path in ("", "edit/", "delete/"):
        assert client.get(f"/seller/webhooks/{theirs.pk}/{path}").status_code == 404
    for path in ("rotate/", "test/", "delete/", "edit/"):
        assert client.post(f"/seller/webhooks/{theirs.pk}/{path}").status_code == 404
    assert client.post(f"/seller/webhooks/deliveries/{delivery.pk}/resend/").status_code == 404
    theirs.refresh_from_db()
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()
    assert OutboundDelivery.objects.count() == 1


def test_actions_need_csrf(seller: Any) -> None:
    endpoint = make_endpoint(seller)
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    assert client.post(f"/seller/webhooks/{endpoint.pk}/rotate/").status_code == 403
    assert client.post("/seller/webhooks/new/", {"url": "https://a.shop-tools.com/",
                                                 "events": ["order.paid"]}).status_code == 403


def test_deleting_an_endpoint(seller: Any) -> None:
    endpoint = make_endpoint(seller)
    services.send_test_event(endpoint)
    response = logged_in(seller).post(f"/seller/webhooks/{endpoint.pk}/delete/")
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists() and not OutboundDelivery.objects.exists()


def test_the_log_page_queries_do_not_grow_with_deliveries(
        seller: Any, django_assert_max_num_queries: Any, settings: Any) -> None:
    endpoint = make_endpoint(seller, url="https://hooks.shop-tools.invalid/in")
    for _ in range(12):
        delivery = services.send_test_event(endpoint)
        send_delivery(delivery.pk)  # refused: a local name, nothing leaves the machine
    client = logged_in(seller)
    client.get(f"/seller/webhooks/{endpoint.pk}/")
    with django_assert_max_num_queries(8):
        page = client.get(f"/seller/webhooks/{endpoint.pk}/")
    assert page.content.decode().count("data-attempt=") == 12
    with django_assert_max_num_queries(7):
        assert client.get("/seller/webhooks/").status_code == 200


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_test_events_and_resends_are_limited_per_seller(seller: Any) -> None:
    from marketplace_core.panels.seller_webhooks import MANUAL_SENDS

    endpoint = make_endpoint(seller)
    client = logged_in(seller)
    for _ in range(MANUAL_SENDS.count):
        client.post(f"/seller/webhooks/{endpoint.pk}/test/")
    assert OutboundDelivery.objects.count() == MANUAL_SENDS.count

    page = client.post(f"/seller/webhooks/{endpoint.pk}/test/", follow=True)
    delivery = OutboundDelivery.objects.first()
    assert delivery is not None
    OutboundDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    client.post(f"/seller/webhooks/deliveries/{delivery.pk}/resend/")

    assert "test events and resends within the hour" in page.content.decode()
    assert OutboundDelivery.objects.count() == MANUAL_SENDS.count
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at is None  # not resent
    other = make_endpoint(make_seller())
    assert logged_in(other.seller).post(f"/seller/webhooks/{other.pk}/test/").status_code == 302
    assert OutboundDelivery.objects.filter(endpoint=other).count() == 1


def test_staff_see_endpoints_in_the_admin_without_their_secrets(seller: Any) -> None:
    endpoint = make_endpoint(seller)
    services.send_test_event(endpoint)
    staff = make_user(is_staff=True, is_superuser=True)
    client = logged_in(staff)

    listing = client.get("/admin/marketplace_core/webhookendpoint/")
    page = client.get(f"/admin/marketplace_core/webhookendpoint/{endpoint.pk}/change/")
    deliveries = client.get("/admin/marketplace_core/outbounddelivery/")

    assert listing.status_code == page.status_code == deliveries.status_code == 200
    assert endpoint.url in page.content.decode()
    assert endpoint.secret not in page.content.decode()
    assert "webhook.test" in deliveries.content.decode()
