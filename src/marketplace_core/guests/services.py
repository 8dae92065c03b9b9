"""Ask for guest emails: the same work, and the same answer, for every address."""

from __future__ import annotations

from django.utils.crypto import salted_hmac

from marketplace_core.accounts.throttling import RateLimit
from marketplace_core.guests.tasks import send_purchases_link
from marketplace_core.people.users import normalize_email
from marketplace_core.transactions import after_commit

#: "My purchases" links one address may be sent per hour, whoever asks.
PER_EMAIL = RateLimit("marketplace.guests.purchase_links.email", 3, 3600)


def _key(address: str) -> str:
    # Counted by a keyed hash: the cache never holds the address itself.
    return salted_hmac("marketplace_core.guests.purchase-links", address,
                       algorithm="sha256").hexdigest()[:32]


def request_purchases_link(email: str, base_url: str) -> bool:
    """Queue the "My purchases" email for ``email`` (the task decides what, if
    anything, to send); ``False`` when that address had enough for now.

    The caller answers the same either way: the limit is per address asked
    for, known or not, so it tells nothing and keeps anyone's inbox quiet.
    """
    address = normalize_email(email)
    if PER_EMAIL.usage(_key(address), increment=True).exceeded:
        return False
    after_commit(send_purchases_link.delay, address, base_url)
    return True
