"""Hook implementations of the Dodo Payments plugin."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.db import transaction
from django.urls import NoReverseMatch, path

from marketplace_core import hookimpl
from marketplace_core.conf import conf as core_conf
from marketplace_core.payments.providers import webhook_url
from marketplace_core.payments.signing import is_valid_secret
from marketplace_core.plugins.types import ProductBadge
from marketplace_payments_dodo.conf import ENVIRONMENTS, NAME, conf

if TYPE_CHECKING:
    from django.urls import URLPattern

    from marketplace_core.catalog.models import Product
    from marketplace_core.discounts.models import DiscountCode
    from marketplace_core.payments.providers import PaymentProvider


@hookimpl
def register_payment_providers() -> list[type[PaymentProvider]]:
    from marketplace_payments_dodo.provider import DodoProvider

    return [DodoProvider]


@hookimpl
def register_urlpatterns() -> list[URLPattern]:
    from marketplace_payments_dodo.views import DodoWebhookView, InvoiceDownloadView

    return [
        path("webhook/", DodoWebhookView.as_view(), name="webhook"),
        path("invoices/<uuid:reference>/", InvoiceDownloadView.as_view(), name="invoice"),
    ]


@hookimpl
def product_saved(product: Product, created: bool) -> None:
    """Queue a sync to Dodo for a published product Dodo does not have as it is now.

    Drafts are not sent (they are not for sale); they are synced when published,
    or at the latest when a buyer checks out.
    """
    from marketplace_payments_dodo import sync, tasks

    if not product.is_buyable or not conf.API_KEY or sync.is_current(product):
        return
    sync.mark_pending(product)
    # Core delivers this event after commit; should a caller still be inside a
    # transaction, the worker must not look for the product before it commits.
    transaction.on_commit(partial(tasks.sync_product.delay, product.pk))


@hookimpl
def discount_code_saved(code: DiscountCode, created: bool) -> None:
    """Queue bringing Dodo's copy of ``code`` up to date (created, patched or deleted)."""
    from marketplace_payments_dodo import tasks

    if conf.API_KEY:
        transaction.on_commit(partial(tasks.sync_discount.delay, code.pk))


@hookimpl
def discount_code_deleted(code_id: int) -> None:
    """Queue deleting Dodo's copy of a deleted code."""
    from marketplace_payments_dodo import tasks

    if conf.API_KEY:
        transaction.on_commit(partial(tasks.sync_discount.delay, code_id))


_TONES: dict[str, Literal["info", "success", "warning", "danger"]] = {
    "synced": "success", "pending": "info", "failed": "danger", "outdated": "warning",
}


@hookimpl
def seller_product_badges(products: list[Product]) -> list[ProductBadge]:
    """The Dodo sync state of each published product (one query for the page)."""
    from marketplace_payments_dodo.sync import sync_statuses

    published = [p for p in products if p.status == p.Status.PUBLISHED]
    return [
        ProductBadge(
            product_id=product_id,
            label=status.label,
            tone=_TONES.get(status.state, "info"),
            detail=status.last_error if status.state == "failed" else "",
            key=f"dodo-{status.state}",
        )
        for product_id, status in sync_statuses(published).items()
    ]


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    problem = core_conf.plugin_options_problem(NAME)
    if problem is not None:
        return [Error(problem, hint='Write MARKETPLACE["payments_dodo"] = {"API_KEY": ..., ...}.',
                      id="payments_dodo.E006")]
    errors: list[CheckMessage] = []
    if not conf.API_KEY:
        errors.append(Error(
            "MARKETPLACE['payments_dodo']['API_KEY'] is not set.",
            hint="Read it from the DODO_PAYMENTS_API_KEY environment variable.",
            id="payments_dodo.E001",
        ))
    secrets = conf.WEBHOOK_SECRETS
    if not secrets or not all(is_valid_secret(s) for s in secrets):
        errors.append(Error(
            "MARKETPLACE['payments_dodo']['WEBHOOK_SECRETS'] must list one or more "
            "'whsec_...' secrets from the Dodo dashboard.",
            hint=f"In the Dodo dashboard, add the webhook {_webhook_url()} and copy its "
            "signing secret here. Several secrets are accepted while rotating.",
            id="payments_dodo.E002",
        ))
    if conf.ENVIRONMENT not in ENVIRONMENTS:
        errors.append(Error(
            f"MARKETPLACE['payments_dodo']['ENVIRONMENT'] must be one of {ENVIRONMENTS}, "
            f"not {conf.ENVIRONMENT!r}.",
            id="payments_dodo.E003",
        ))
    elif conf.ENVIRONMENT == "live_mode" and settings.DEBUG:
        errors.append(Error(
            "Dodo Payments is in live_mode while DEBUG is on.",
            hint="Use test_mode for development, or turn DEBUG off.",
            id="payments_dodo.E004",
        ))
    base_url = conf.BASE_URL
    if base_url is not None and not _is_http_url(base_url):
        errors.append(Error(
            f"MARKETPLACE['payments_dodo']['BASE_URL'] must be an http(s) URL, not {base_url!r}.",
            hint="Leave it unset to use Dodo's test or live API (chosen by ENVIRONMENT).",
            id="payments_dodo.E005",
        ))
    return errors


def _webhook_url() -> str:
    """Core's webhook endpoint for Dodo where the shop is mounted."""
    try:
        return webhook_url("dodo")
    except NoReverseMatch:  # the shop's URLs are not included (yet)
        return "<shop URL>payments/webhooks/dodo/"


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
