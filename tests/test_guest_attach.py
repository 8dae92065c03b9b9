"""A full account that proves a guest's address gains the guest's purchases,
exactly once, and never two active ownerships of one product; concurrent
checkouts make one guest; one login link logs in once (docs/guests.md).

Core's ``User`` has one user per address, so the account here proves an address
that is not its own login (``attach_guest_purchases(account, email)``, the
service the verification and password-reset pages call); with a user model
whose accounts share addresses the whole page flow is tested too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from marketplace_core.accounts.tokens import email_verification_tokens
from marketplace_core.guests.attach import DUPLICATE_REASON, attach_guest_purchases
from marketplace_core.guests.identities import buyer_for_email, is_guest
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.people.users import email_of
from tests.people import CORE_USER, User, fresh

pytestmark = pytest.mark.django_db(transaction=True)

GUEST = "grace@example.com"


def paid(buyer, product) -> Order:
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    services.confirm_payment(provider="dummy", order_reference=order.reference,
                             provider_payment_id=f"pay_{order.pk}", amount=order.amount,
                             currency=order.currency)
    return order


@pytest.fixture
def products(make_product):
    return [make_product(title=f"Book {i}") for i in range(3)]


@pytest.fixture
def guest(products):
    guest = buyer_for_email(GUEST)
    for product in products[:2]:
        paid(guest, product)
    services.start_checkout(buyer=guest, product=products[2], provider="dummy")  # left open
    return guest


def owners(product) -> list[int]:
    return list(PurchasedProduct.objects.active().filter(product=product)
                .values_list("buyer_id", flat=True))


def test_a_new_address_becomes_one_guest_and_checkouts_reuse_it(guest):
    assert buyer_for_email(GUEST.upper()).pk == guest.pk
    assert is_guest(guest) and not guest.has_usable_password()


def test_the_guests_orders_and_purchases_move_to_the_account(make_user, guest, products):
    account = make_user(email="grace.hopper@example.com")

    gained = attach_guest_purchases(account, GUEST)

    assert gained == 2
    assert Order.objects.filter(buyer=account).count() == 3
    assert not Order.objects.filter(buyer=guest).exists()
    assert [owners(p) for p in products] == [[account.pk], [account.pk], []]
    assert not is_guest(fresh(guest))
    assert fresh(guest).marketplace_account.claimed_at is not None
    assert attach_guest_purchases(account, GUEST) == 0  # once


def test_a_product_both_own_stays_the_accounts_and_the_guests_copy_is_revoked(
        make_user, guest, products):
    account = make_user(email="grace.hopper@example.com")
    own = paid(account, products[0])
    services.start_checkout(buyer=account, product=products[2], provider="dummy")

    assert attach_guest_purchases(account, GUEST) == 1

    assert owners(products[0]) == [account.pk]
    assert PurchasedProduct.objects.active().get(product=products[0]).order_id == own.pk
    duplicate = PurchasedProduct.objects.get(product=products[0], buyer=account,
                                             revoked_at__isnull=False)
    assert duplicate.revoke_reason == DUPLICATE_REASON
    assert owners(products[1]) == [account.pk]
    assert Order.objects.filter(buyer=account, product=products[2],
                                status=Order.Status.PENDING).count() == 1


def test_an_unrelated_guest_and_a_guest_account_are_left_alone(make_user, guest):
    other_guest = buyer_for_email("someone@example.com")
    assert attach_guest_purchases(other_guest, GUEST) == 0  # a guest joins nobody
    account = make_user(email="grace.hopper@example.com")
    assert attach_guest_purchases(account, "nobody@example.com") == 0
    assert is_guest(fresh(guest))


@pytest.mark.by_database
def test_concurrent_verifications_move_the_guest_once(make_user, guest, products):
    count = 6
    accounts = [make_user(email=f"account{i}@example.com") for i in range(count)]
    barrier = Barrier(count, timeout=60)

    def attach(account) -> int:
        barrier.wait()
        try:
            return attach_guest_purchases(account, GUEST)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        gained = list(pool.map(attach, accounts))

    assert sorted(gained) == [0] * (count - 1) + [2]
    (winner,) = [a for a, g in zip(accounts, gained, strict=True) if g]
    assert set(Order.objects.values_list("buyer_id", flat=True)) == {winner.pk}
    assert [owners(p) for p in products[:2]] == [[winner.pk], [winner.pk]]


@pytest.mark.skipif(CORE_USER, reason="core's User has one account per address")
def test_verifying_a_guests_address_attaches_and_says_so(settings, make_user, guest, products):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "GUEST_CHECKOUT": True}
    account = make_user(email=GUEST, username="grace", email_verified=False)
    client = Client()
    client.force_login(account)
    token = email_verification_tokens.make(account)

    page = client.get(reverse("marketplace:verify_email", kwargs={"token": token}), follow=True)

    assert "2 earlier purchases made with this address are now in your account." in (
        page.content.decode())
    assert email_of(account) == GUEST
    assert [owners(p) for p in products[:2]] == [[account.pk], [account.pk]]
    assert not is_guest(fresh(guest))


@pytest.mark.by_database
def test_concurrent_checkouts_with_a_new_address_make_one_guest():
    count = 6
    barrier = Barrier(count, timeout=60)

    def checkout(_: int) -> int:
        barrier.wait()
        try:
            return buyer_for_email("new.buyer@example.com").pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        buyers = set(pool.map(checkout, range(count)))

    assert len(buyers) == 1
    (guest_id,) = buyers
    assert is_guest(fresh(User._default_manager.get(pk=guest_id)))


@pytest.mark.by_database
def test_one_login_link_followed_twice_at_once_logs_in_once(guest):
    from marketplace_core.guests.links import link_path

    path = link_path(guest)
    count = 4
    barrier = Barrier(count, timeout=60)

    def follow(_: int) -> int:
        client = Client()
        barrier.wait()
        try:
            return client.post(path).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = sorted(pool.map(follow, range(count)))

    assert answers == [302] + [410] * (count - 1)


@pytest.mark.postgres_only  # SQLite lets one writer in at a time: the two cannot interleave
def test_an_account_paid_for_the_product_while_it_attached_keeps_one_ownership(
        make_user, guest, products):
    """The account's own purchase of a product the guest owns commits while the
    attach is moving the guest's ownership: the attach waits on the unique
    ownership index, then starts again and revokes the guest's copy, instead of
    failing (a 500 on the verification page) with a uniqueness error."""
    import threading
    import time

    account = make_user(email="grace.hopper@example.com")
    own = services.start_checkout(buyer=account, product=products[0], provider="dummy")
    holding, release = threading.Event(), threading.Event()

    def pay_and_hold() -> None:
        from django.db import transaction
        try:
            with transaction.atomic():
                services.confirm_payment(provider="dummy", order_reference=own.reference,
                                         provider_payment_id="pay_own", amount=own.amount,
                                         currency=own.currency)
                holding.set()
                assert release.wait(60)
        finally:
            connection.close()

    def attach() -> int:
        try:
            return attach_guest_purchases(account, GUEST)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        payer = pool.submit(pay_and_hold)
        assert holding.wait(60)
        attaching = pool.submit(attach)
        # Wait (bounded) until the attach waits for the payer's uncommitted ownership.
        deadline = time.monotonic() + 60
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND wait_event_type = 'Lock'")
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the attach never waited for the payer's ownership")
        release.set()
        payer.result(timeout=60)
        gained = attaching.result(timeout=60)

    assert gained == 1
    assert owners(products[0]) == [account.pk]
    assert PurchasedProduct.objects.active().get(product=products[0]).order_id == own.pk
    assert PurchasedProduct.objects.get(product=products[0], revoked_at__isnull=False
                                        ).revoke_reason == DUPLICATE_REASON
    assert owners(products[1]) == [account.pk]
    assert not Order.objects.filter(buyer=guest).exists()
