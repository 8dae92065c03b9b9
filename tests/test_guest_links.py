"""Guests' emailed links: "My purchases", the receipt's link, and becoming a full
account (registration, password reset) exactly once (docs/guests.md)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from marketplace_core.guests.identities import is_guest
from marketplace_core.ownership.models import Order
from marketplace_core.people.records import is_email_verified
from tests.people import fresh
from tests.test_guest_checkout import CONTENT, buy, logged_in, order_of
from tests.test_password_reset import without_csrf_tokens
from tests.test_receipts import SITE, deliver, emails_to, link_of

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS = "/account/purchases/access/"
PASSWORD = "a-long-unusual-passphrase-93"


@pytest.fixture(autouse=True)
def _guests_on(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_NAME": "Paper Shop", "SITE_URL": SITE,
                            "GUEST_CHECKOUT": True, "ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG": True}
    cache.clear()


@pytest.fixture
def product(make_product):
    return make_product(title="Field Guide", price=1999, currency="USD", content=CONTENT)


@pytest.fixture
def guest_order(product) -> Order:
    """A paid order of guest grace@example.com (the receipt is in the outbox)."""
    buy(Client(), product, "grace@example.com")
    order = order_of("grace@example.com")
    deliver(order)
    return order


def ask_for_link(email: str, client: Client | None = None):
    return (client or Client()).post(ACCESS, {"email": email}, follow=True)


def receipt_path(message) -> str:
    """The receipt's link to the purchase (a guest's receipt also links to "My purchases")."""
    paths = {p for p in re.findall(re.escape(SITE) + r"(/receipts/[^\s\"<>]+)", message.body)}
    assert len(paths) == 1 and f'href="{SITE}{next(iter(paths))}"' in message.alternatives[0][0]
    return paths.pop()


def only_link_to(address: str, subject: str) -> str:
    (message,) = [m for m in emails_to(address) if m.subject == subject]
    return link_of(message)


# ---------------------------------------------------------------------------
# "My purchases"
# ---------------------------------------------------------------------------


def test_the_login_page_leads_guests_to_their_purchases():
    assert f'href="{ACCESS}"' in Client().get("/accounts/login/").content.decode()


def test_a_guest_gets_a_link_that_logs_in_once_to_my_products(guest_order):
    mail.outbox.clear()
    answer = ask_for_link("grace@example.com")
    assert "If this address has purchases, we sent it a link" in answer.content.decode()
    path = only_link_to("grace@example.com", "Your purchases at Paper Shop")

    client = Client()
    page = client.get(path)  # a mail scanner opening it uses nothing up
    assert page.status_code == 200 and "Open my purchases" in page.content.decode()
    assert client.get(path).status_code == 200
    assert not logged_in(client)

    landed = client.post(path, follow=True)

    assert landed.redirect_chain[-1][0] == "/account/products/"
    assert logged_in(client)
    assert "Field Guide" in landed.content.decode()
    download = client.get(f"/products/{guest_order.product.slug}/download/")
    assert download.status_code == 302

    again = Client()
    used = again.post(path)
    assert used.status_code == 410 and "already used or has expired" in used.content.decode()
    assert not logged_in(again)
    assert again.get(path).status_code == 410


def test_the_answer_is_the_same_for_a_guest_an_account_and_nobody(make_user, guest_order):
    make_user(email="ada@example.com")
    mail.outbox.clear()
    answers = [ask_for_link(email) for email in
               ("grace@example.com", "ada@example.com", "nobody@example.com")]
    assert len({a.redirect_chain[-1] for a in answers}) == 1
    assert len({without_csrf_tokens(a.content) for a in answers}) == 1
    assert [m.subject for m in emails_to("ada@example.com")] == ["Your purchases at Paper Shop"]
    assert "This address has an account: log in" in emails_to("ada@example.com")[0].body
    assert not emails_to("nobody@example.com")
    assert len(emails_to("grace@example.com")) == 1


def test_an_expired_link_offers_a_fresh_one(guest_order):
    mail.outbox.clear()
    ask_for_link("grace@example.com")
    path = only_link_to("grace@example.com", "Your purchases at Paper Shop")
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        client = Client()
        expired = client.post(path)
        assert expired.status_code == 410
        assert "Email me a fresh link" in expired.content.decode()
        assert not logged_in(client)


def test_a_changed_link_is_refused(guest_order):
    mail.outbox.clear()
    ask_for_link("grace@example.com")
    path = only_link_to("grace@example.com", "Your purchases at Paper Shop")
    assert Client().post(path[:-3] + "xx/").status_code == 400


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_links_are_limited_per_address_asked_for_and_per_client(settings, guest_order):
    mail.outbox.clear()
    for _ in range(5):
        assert ask_for_link("grace@example.com", Client(REMOTE_ADDR=f"10.0.0.{_}")).status_code \
            == 200
    assert len(emails_to("grace@example.com")) == 3  # the per-address limit, silently

    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "ADDRESS_RATE_LIMITS": {"purchase_links": "2/h"}}
    client = Client(REMOTE_ADDR="10.0.1.1")
    assert client.post(ACCESS, {"email": "a@example.com"}).status_code == 302
    assert client.post(ACCESS, {"email": "b@example.com"}).status_code == 302
    refused = client.post(ACCESS, {"email": "c@example.com"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


# ---------------------------------------------------------------------------
# the receipt's link
# ---------------------------------------------------------------------------


def test_a_guests_receipt_link_opens_the_purchase_once(guest_order):
    (receipt,) = emails_to("grace@example.com")
    path = receipt_path(receipt)
    assert "get a link to all your purchases" in receipt.alternatives[0][0]

    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "Open my purchase" in page.content.decode()
    opened = client.post(path, follow=True)
    assert opened.redirect_chain[-1][0] == f"/account/purchases/{guest_order.reference}/"
    assert "Field Guide" in opened.content.decode() and logged_in(client)

    later = Client()
    used = later.get(path)
    assert used.status_code == 410 and "This link was already used" in used.content.decode()
    assert later.post(path).status_code == 410 and not logged_in(later)
    fresh_link = later.post("/receipts/fresh/", {"token": path.rstrip("/").rsplit("/", 1)[1]})
    assert fresh_link.status_code == 200
    second = [m for m in emails_to("grace@example.com") if m is not receipt]
    assert len(second) == 1
    new_path = receipt_path(second[0])
    assert later.post(new_path).status_code == 302 and logged_in(later)


def test_a_full_accounts_receipt_link_still_asks_to_log_in(make_user, product):
    ada = make_user(email="ada@example.com")
    buy(Client(), product, "ada@example.com")  # a visitor typed an account's address
    deliver(order_of("ada@example.com"))
    path = link_of(emails_to("ada@example.com")[0])
    client = Client()
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(path).status_code == 410
    assert not logged_in(client)
    assert not is_guest(ada)


# ---------------------------------------------------------------------------
# becoming a full account
# ---------------------------------------------------------------------------


def register(email: str):
    return Client().post("/accounts/register/", {
        "email": email, "name": "Grace", "password1": PASSWORD, "password2": PASSWORD})


def choose_password(path: str) -> Client:
    client = Client()
    form = client.get(path, follow=True)
    assert "Choose a password for your account" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0],
                       {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == "/account/products/" and logged_in(client)
    page = done.content.decode()
    assert "Your account is ready." in page and "Field Guide" in page
    assert "1 earlier purchase made with this address is now in your account." in page
    return client


def test_registering_with_a_guests_address_turns_it_into_an_account(guest_order):
    mail.outbox.clear()
    guest = guest_order.buyer
    new_address = register("another@example.com")
    answer = register("grace@example.com")
    assert (answer.status_code, answer["Location"]) == (new_address.status_code,
                                                       new_address["Location"])
    (claim,) = emails_to("grace@example.com")
    assert claim.subject == "Finish your account at Paper Shop"
    assert PASSWORD not in claim.body and PASSWORD not in claim.alternatives[0][0]
    assert is_guest(fresh(guest))  # nothing changes until the link is followed

    choose_password(link_of(claim))

    account = fresh(guest)
    assert not is_guest(account) and account.has_usable_password()
    assert is_email_verified(account)
    assert account.marketplace_account.claimed_at is not None
    client = Client()
    assert client.login(username="grace@example.com", password=PASSWORD) or client.post(
        "/accounts/login/", {"username": "grace@example.com", "password": PASSWORD}
    ).status_code == 302
    assert "Field Guide" in client.get("/account/products/").content.decode()


def test_a_guest_asking_for_a_password_reset_gets_the_same_claim_link(guest_order):
    mail.outbox.clear()
    Client().post("/accounts/password-reset/", {"email": "grace@example.com"})
    (claim,) = emails_to("grace@example.com")
    assert claim.subject == "Finish your account at Paper Shop"
    choose_password(link_of(claim))
    assert not is_guest(fresh(guest_order.buyer))


def test_a_guest_is_sent_to_choose_a_first_password_not_to_change_one(guest_order):
    client = Client()
    client.force_login(guest_order.buyer)
    response = client.get("/account/password/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password-reset/"
    assert "You have no password yet" in response.content.decode()
