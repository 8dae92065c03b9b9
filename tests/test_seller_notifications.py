"""Telling the seller: a sale becomes an email to the product's seller (on by
default, switched in the seller's profile), sent once however often the task runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.preferences import NotificationPreference, wants
from marketplace_core.notifications.tasks import Outcome, send_notification, sent_key
from marketplace_core.testing.factories import buy, logged_in, make_product, make_seller, make_user

pytestmark = pytest.mark.django_db

SITE = "https://shop.example"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Paper Shop", "SITE_URL": SITE}
    cache.clear()  # ids of sent notifications


@pytest.fixture
def seller() -> Any:
    return make_seller(email="sam@example.com", name="Sam Seller")


def _buy(product: Any, captured: Any) -> Any:
    buyer = make_user(email="bea@example.com", name="Bea Buyer")
    with captured(execute=True):
        return buy(buyer, product)


def _seller_mail(address: str = "sam@example.com") -> list[Any]:
    return [message for message in mail.outbox
            if message.to == [address] and "New sale" in message.subject]


def test_a_sale_emails_the_seller_with_name_product_and_link(
        seller: Any, django_capture_on_commit_callbacks: Any) -> None:
    product = make_product(seller=seller, title="Field Guide <Deluxe>", price=1999)

    purchase = _buy(product, django_capture_on_commit_callbacks)

    [message] = _seller_mail()
    assert message.subject == "New sale: Field Guide <Deluxe> · Paper Shop"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Hello Sam Seller," in message.body
    assert "Bea Buyer bought Field Guide <Deluxe> for" in message.body
    assert f"Open it: {SITE}/seller/sales/{purchase.order.reference}/" in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert "Field Guide &lt;Deluxe&gt;" in html and "<Deluxe>" not in html
    assert f'href="{SITE}/seller/' in html
    assert f'href="{SITE}/seller/profile/"' in html
    # The link opens the sale's page for the seller (where it can be refunded).
    link = message.body.split("Open it: ")[1].split()[0]
    response = logged_in(seller).get(link.removeprefix(SITE))
    assert response.status_code == 200
    assert "Field Guide &lt;Deluxe&gt;" in response.content.decode()
    # ...and the buyer got their receipt, not the seller's email.
    assert not [m for m in mail.outbox if m.to == ["bea@example.com"] and "New sale" in m.subject]
    assert purchase.order.paid_at is not None


def test_a_switched_off_sale_sends_no_email(
        seller: Any, django_capture_on_commit_callbacks: Any) -> None:
    NotificationPreference.objects.create(user=seller, event="sale", channel="email",
                                          enabled=False)
    product = make_product(seller=seller, title="Atlas")

    _buy(product, django_capture_on_commit_callbacks)

    assert _seller_mail() == []
    assert [m.to for m in mail.outbox] == [["bea@example.com"]]  # the receipt only


def _sale_note(seller: Any) -> Notification:
    return Notification(event="sale", title="New sale: Atlas", body="Bea bought it.",
                        url=f"{SITE}/seller/", data={"id": "sale:4242"},
                        recipient_id=str(seller.pk))


def test_the_email_is_sent_once_when_the_task_runs_twice(seller: Any) -> None:
    note = _sale_note(seller)
    task_kwargs = {"channel_identifier": "email", "notification_data": note.to_data()}

    assert send_notification.apply(kwargs=task_kwargs).get() == Outcome.SENT
    cache.clear()  # a redelivery after the cache forgot: the database remembers
    assert send_notification.apply(kwargs=task_kwargs).get() == Outcome.SENT
    assert send_notification.apply(kwargs=task_kwargs).get() == Outcome.DUPLICATE

    assert len(_seller_mail()) == 1
    assert SentEmail.objects.filter(key=f"notification:sale:4242:to:{seller.pk}").exists()


def test_de_duplication_is_per_recipient(seller: Any) -> None:
    other = make_seller(email="olga@example.com", name="Olga")
    for person in (seller, other):
        note = _sale_note(person)
        assert send_notification.apply(kwargs={
            "channel_identifier": "email", "notification_data": note.to_data()}).get() == "sent"

    assert len(_seller_mail()) == 1 and len(_seller_mail("olga@example.com")) == 1
    assert sent_key("email", "sale:4242", str(seller.pk)) != sent_key("email", "sale:4242")


def test_old_task_data_without_a_recipient_still_reads() -> None:
    data = {"event": "x", "title": "T", "body": "", "url": "", "data": {"id": "x:1"}}
    assert Notification.from_data(data).recipient_id == ""
    with pytest.raises(TypeError, match="recipient_id"):
        Notification.from_data({**data, "recipient_id": 7})


def test_operator_notifications_are_not_emailed() -> None:
    from marketplace_core.plugins.registry import notification_channels

    email = notification_channels()["email"]
    assert not email.accepts(Notification(event="sale", title="T", data={"id": "a"}))


def test_the_profile_shows_switches_to_sellers_only(seller: Any) -> None:
    html = logged_in(seller).get("/seller/profile/").content.decode()
    assert "<h2 id=\"notifications-title\">Notifications</h2>" in html
    assert 'name="sale__email"' in html and "checked" in html
    customer = make_user()
    assert "Notifications" not in logged_in(customer).get("/account/profile/").content.decode()
    # A customer cannot post the seller's switches either.
    assert logged_in(customer).post("/seller/profile/notifications/", {}).status_code == 403
    assert not NotificationPreference.objects.exists()


def test_switching_off_and_on_again(seller: Any,
                                    django_assert_max_num_queries: Any) -> None:
    client = logged_in(seller)

    response = client.post("/seller/profile/notifications/", {}, follow=True)

    assert response.redirect_chain == [("/seller/profile/", 302)]
    assert "Your notification settings have been saved." in response.content.decode()
    assert not wants(seller.pk, "sale", "email")
    assert 'name="sale__email" id="id_sale__email"' in response.content.decode()

    client.post("/seller/profile/notifications/", {"sale__email": "on"})
    assert wants(seller.pk, "sale", "email")
    assert NotificationPreference.objects.filter(user=seller).count() == 1

    with django_assert_max_num_queries(12):
        assert client.get("/seller/profile/").status_code == 200


def test_the_switches_form_needs_csrf(seller: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    assert client.post("/seller/profile/notifications/", {}).status_code == 403
    assert wants(seller.pk, "sale", "email")
