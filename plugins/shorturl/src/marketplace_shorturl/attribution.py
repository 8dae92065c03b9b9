"""Short links joined to what followed them: product views, purchases, revenue.

The redirect sets a first-party cookie (``ATTRIBUTION_COOKIE``) holding the
link's id and the click's time, signed with the site's ``SECRET_KEY``: nothing
about the visitor, and nothing stored server-side at the click. A later click
on another link replaces it (last click wins); it counts for
``ATTRIBUTION_DAYS`` days (the cookie's ``Max-Age``, and checked again from
the signed time).

- **Product views** (:func:`count_product_view`, from the middleware): a
  product page answered with the cookie present adds one to the views buffer
  under ``(link id, product slug)``, in memory like a click; the flush counts it
  for the link when the product is the link's seller's. No query on the request.
- **Purchases** (:func:`remember_checkout`, the ``checkout_started`` hook): an
  order of the link seller's product started with the cookie gets an
  :class:`~.models.AttributedOrder` row (keyed by the order reference; a later
  checkout of the same unpaid order with a newer click moves it). It counts
  once paid (:func:`count_payment`, ``payment_confirmed``), with the order's
  amount and currency; refunds are taken back out (:func:`count_refund`): the
  refunded minor units are subtracted from the revenue and a fully refunded
  order no longer counts as a purchase. Every step is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from marketplace_shorturl.clicks import views
from marketplace_shorturl.conf import conf

if TYPE_CHECKING:
    from marketplace_core.ownership.models import Order

SALT = "marketplace_shorturl.attribution"
PRODUCT_VIEW = "marketplace:product_detail"


@dataclass(frozen=True, slots=True)
class Click:
    """What the attribution cookie says: which link, and when it was clicked."""

    link_id: int
    at: float


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def window_seconds() -> int:
    return conf.ATTRIBUTION_DAYS * 86400


def set_cookie(response: HttpResponseBase, request: HttpRequest, link_id: int,
               now: float) -> None:
    """Mark ``response`` (a redirect of link ``link_id``) with the attribution cookie."""
    window = window_seconds()
    if window <= 0:
        return
    value = _signer().sign(f"{link_id}.{int(now)}")
    response.set_cookie(conf.ATTRIBUTION_COOKIE, value, max_age=window,
                        domain=settings.SESSION_COOKIE_DOMAIN,
                        secure=request.is_secure(), httponly=True, samesite="Lax")


def read_cookie(request: HttpRequest, now: float | None = None) -> Click | None:
    """The click in ``request``'s cookie, ``None`` when absent, forged or too old."""
    window = window_seconds()
    raw = request.COOKIES.get(conf.ATTRIBUTION_COOKIE)
    if not raw or window <= 0:
        return None
    try:
        link_id, _, at = _signer().unsign(raw).partition(".")
        click = Click(int(link_id), float(int(at)))
    except (signing.BadSignature, ValueError):
        return None
    age = (time.time() if now is None else now) - click.at
    return click if 0 <= age <= window else None


def count_product_view(request: HttpRequest, response: HttpResponseBase) -> None:
    """Count a product page view that followed a click (cheap: no query, no I/O)."""
    if conf.ATTRIBUTION_COOKIE not in request.COOKIES or request.method != "GET":
        return
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != PRODUCT_VIEW or response.status_code not in (200, 304):
        return
    if request.headers.get("HX-Request"):
        return  # a fragment of a page already counted
    click = read_cookie(request)
    if click is not None:
        views.record((click.link_id, str(match.kwargs.get("slug", ""))))


def remember_checkout(order: Order, request: HttpRequest) -> None:
    """Attribute ``order`` to the link in ``request``'s cookie, if it is the seller's."""
    click = read_cookie(request)
    if click is None:
        return
    from marketplace_shorturl.models import AttributedOrder, ShortURL

    if not ShortURL.objects.filter(pk=click.link_id,
                                   seller_id=order.product.seller_id).exists():
        return  # another shop's link, or deleted: not this order's
    clicked_at = datetime.fromtimestamp(click.at, tz=UTC)
    with transaction.atomic():
        row, created = AttributedOrder.objects.select_for_update().get_or_create(
            order_reference=order.reference,
            defaults={"link_id": click.link_id, "clicked_at": clicked_at,
                      "amount": order.amount, "currency": order.currency})
        if not created and row.paid_at is None and clicked_at >= row.clicked_at:
            row.link_id, row.clicked_at = click.link_id, clicked_at  # the last click wins
            row.amount, row.currency = order.amount, order.currency
            row.save(update_fields=["link", "clicked_at", "amount", "currency"])


def count_payment(order: Order) -> None:
    """Count ``order`` as its link's purchase (once: later calls change nothing)."""
    from marketplace_shorturl.models import AttributedOrder

    AttributedOrder.objects.filter(order_reference=order.reference, paid_at__isnull=True).update(
        paid_at=order.paid_at or timezone.now(), amount=order.amount, currency=order.currency)


def count_refund(order: Order) -> None:
    """Take ``order``'s refunds back out: the sum of its refund rows, so repeating is harmless."""
    from marketplace_shorturl.models import AttributedOrder

    refunded = order.refunds.aggregate(total=Sum("amount"))["total"] or 0
    AttributedOrder.objects.filter(order_reference=order.reference).update(
        refunded=min(refunded, order.amount))


@dataclass
class LinkSales:
    """What a link sold: purchases (fully refunded ones not counted) and net revenue."""

    purchases: int = 0
    #: Net revenue in minor units, per currency code.
    revenue: dict[str, int] = field(default_factory=dict)


def sales_by_link(link_ids: Iterable[int]) -> dict[int, LinkSales]:
    """:class:`LinkSales` of each of ``link_ids`` (one query; links without any: absent)."""
    from marketplace_shorturl.models import AttributedOrder

    rows = (AttributedOrder.objects.filter(link_id__in=list(link_ids), paid_at__isnull=False)
            .values("link_id", "currency")
            .annotate(purchases=Count("pk", filter=Q(refunded__lt=F("amount"))),
                      revenue=Sum(F("amount") - F("refunded")))
            .order_by("link_id", "currency"))
    sales: dict[int, LinkSales] = {}
    for row in rows:
        entry = sales.setdefault(row["link_id"], LinkSales())
        entry.purchases += row["purchases"]
        if row["revenue"]:
            entry.revenue[row["currency"]] = int(row["revenue"])
    return sales
