"""Typed values passed to and returned from hooks.

Hooks take and return these dataclasses, never loose dicts, so a plugin author's
editor knows every field and a typo fails loudly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

NavArea = Literal["main", "account", "customer", "seller", "footer"]


@dataclass(frozen=True)
class NavItem:
    """A link in one of the site's navigation areas."""

    label: str
    url: str
    #: Lower sorts first; core's own items use multiples of 100.
    order: int = 500
    #: A stable identifier for templates and tests (``"seller-dashboard"``).
    key: str = ""


#: What a ``nav_cache_token`` implementation returns when the items it adds must
#: be rendered for every request (the visitor's cached page parts are not used).
NAV_NOT_CACHED = "marketplace:nav-not-cached"


@dataclass(frozen=True)
class ProductAction:
    """Something a buyer can do with a product they own (shown on My Products).

    ``method`` is ``"get"`` for a link and ``"post"`` for a button that submits a
    CSRF-protected form to ``url``. ``status`` is an optional short badge text
    (for example the state of the latest support request).
    """

    label: str
    url: str
    key: str = ""
    method: Literal["get", "post"] = "get"
    status: str = ""
    order: int = 500


@dataclass(frozen=True)
class ProfileSection:
    """A section a plugin adds to the profile page (below core's own), or to
    the seller's product edit page (below the form; as ``ProductSection``).

    ``html`` is the section's body, rendered by the plugin (``render_to_string``
    with the request, so forms carry the CSRF token) and marked safe; a plain
    ``str`` is escaped. Core wraps it in a ``<section>`` headed by ``title``.
    """

    key: str
    title: str
    html: str
    #: Lower sorts first.
    order: int = 500


#: A section of the seller's product edit page (``seller_product_sections``):
#: the same fields as a profile section.
ProductSection = ProfileSection


@dataclass(frozen=True)
class OwnedProductDetail:
    """A line of text a plugin shows under a product its buyer owns (My Products),
    such as a license key.

    ``value`` is shown as selectable text; ``copyable`` adds a "Copy" button
    (the text stays selectable without JavaScript).
    """

    purchase_id: int
    label: str
    value: str
    key: str = ""
    copyable: bool = False
    #: Short text after the value ("expires 2027-01-01").
    note: str = ""
    #: Lower sorts first.
    order: int = 500


@dataclass(frozen=True)
class ReceiptLine:
    """A labelled line a plugin adds to an order's receipt email (both parts,
    plain text and HTML), such as the license key bought."""

    label: str
    value: str
    key: str = ""
    #: Lower sorts first.
    order: int = 500


@dataclass(frozen=True)
class ProductBadge:
    """A short status a plugin shows next to one of a seller's products.

    ``tone`` picks the colour: ``"info"``, ``"success"``, ``"warning"`` or
    ``"danger"``; ``detail`` is longer text shown on hover and on the edit page
    (for example why a sync to a payment provider failed).
    """

    product_id: int
    label: str
    tone: Literal["info", "success", "warning", "danger"] = "info"
    detail: str = ""
    key: str = ""


@dataclass(frozen=True)
class DownloadTarget:
    """Where to send a buyer to fetch a file: a short-lived URL and its expiry.

    The URL is a bearer credential until it expires, so it is left out of the
    dataclass's ``repr`` (hook tracing and log lines print that).
    """

    url: str = field(repr=False)
    expires_at: dt.datetime


@dataclass(frozen=True)
class SeriesPoint:
    label: str
    value: float


@dataclass(frozen=True)
class DashboardSeries:
    """One chart series on the seller dashboard (for example revenue per month)."""

    key: str
    label: str
    points: list[SeriesPoint]
    unit: str = ""
    #: Why the series is empty or partial (shown next to the chart), e.g. an
    #: analytics service that is not configured or did not answer in time.
    note: str = ""
    #: The series' total per product over the period, by product id (shown as a
    #: column of the dashboard's product table). Key ``"views"``: page views,
    #: from which core derives each product's conversion rate (sales / views).
    per_product: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodicTask:
    """A Celery task to run on a schedule (seconds between runs)."""

    name: str
    task: str
    every_seconds: float
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiRouter:
    """A django-ninja router to mount under ``/api/v1/<prefix>``.

    ``build`` is called once when the API is assembled and must return a *new*
    ``ninja.Router`` each call (a router cannot be attached to two APIs).
    """

    prefix: str
    build: Callable[[], Any]
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookEventType:
    """An event type sellers can subscribe their webhook endpoints to.

    ``name`` is dotted, ``<noun>.<past participle>`` (``"order.paid"``,
    ``"license.activated"``); ``description`` is one sentence shown next to its
    checkbox in the seller panel.
    """

    name: str
    description: str
