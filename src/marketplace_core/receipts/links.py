"""Signed, expiring links from receipts to one purchase.

A link names an order by its public reference and carries when it was made
(``django.core.signing``'s timestamp); it lives ``RECEIPT_LINK_TTL`` seconds
(default 7 days). It grants nothing by itself: it leads to the purchase page,
which still checks who is logged in (:mod:`.views`). A guest's link also
carries the guest's login state: followed once, it logs the guest in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from django.core import signing
from django.urls import reverse

from marketplace_core.conf import conf

_SALT = "marketplace_core.receipts.link"


class LinkStatus(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    #: The order the link names (also when it expired); ``None`` when invalid.
    reference: UUID | None = None
    #: For a guest's order: the buyer's login state it carries (else ""; see
    #: :func:`marketplace_core.guests.links.login_state`): it logs them in once.
    login: str = ""


def make_token(reference: UUID | str, login: str = "") -> str:
    data = {"o": str(reference), **({"g": login} if login else {})}
    return signing.dumps(data, salt=_SALT)


def link_path(reference: UUID | str, login: str = "") -> str:
    """The site-relative path of a fresh link to order ``reference``'s purchase;
    ``login``: a guest buyer's login state (:mod:`marketplace_core.guests.links`)
    that lets the link log them in, once."""
    return reverse("marketplace:receipt_link", kwargs={"token": make_token(reference, login)})


def _reference(data: Any) -> UUID | None:
    try:
        return UUID(str(data["o"])) if isinstance(data, dict) else None
    except (KeyError, ValueError):
        return None


def check_token(token: str) -> LinkCheck:
    """What ``token`` says: valid, expired (with the order it named), or invalid."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=conf.RECEIPT_LINK_TTL)
    except signing.SignatureExpired:
        # The signature is ours, only too old: which order it named is still known.
        data = signing.loads(token, salt=_SALT)
        reference = _reference(data)
        return LinkCheck(LinkStatus.EXPIRED if reference else LinkStatus.INVALID, reference)
    except signing.BadSignature:
        return LinkCheck(LinkStatus.INVALID)
    reference = _reference(data)
    login = str(data.get("g") or "") if isinstance(data, dict) else ""
    return LinkCheck(LinkStatus.VALID if reference else LinkStatus.INVALID, reference, login)


def lifetime_text() -> str:
    """How long a link lives, as emails state it: "7 days", "12 hours", "30 minutes"."""
    seconds = conf.RECEIPT_LINK_TTL
    for unit, size in (("day", 86400), ("hour", 3600)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = max(1, seconds // 60)
    return f"{count} minute{'s' if count != 1 else ''}"
