# Specs have no bodies: pluggy never calls them.
# mypy: disable-error-code="empty-body"
"""Every hook core calls, with its contract.

Hook names tell their semantics:

- ``register_<plural>()``: called once at start-up (or first use); return things
  to collect. Results from all plugins are concatenated.
- ``<noun>_items`` / ``<noun>_actions``: called per request for UI contributions;
  results from all plugins are concatenated.
- ``resolve_<noun>``: ``firstresult``; the first implementation returning
  something other than ``None`` wins, the rest are not called.
- ``validate_<noun>_<verb>``: raise :class:`marketplace_core.exceptions.Rejected`
  to veto; the return value is ignored.
- past tense (``payment_confirmed``, ``ownership_granted``): events. Delivered
  after the surrounding database transaction commits, each implementation
  isolated (an exception is logged and does not stop the others), possibly more
  than once: implementations must be idempotent. The return value is ignored.
- ``check_<noun>``: feeds Django's system check framework.
- Four per-request contributions are named for what they return rather than
  ``_items``: ``dashboard_series`` (DESIGN.md's name; chart series),
  ``seller_product_badges`` (badges for a whole page of products at once),
  ``head_tags`` (HTML for every page's ``<head>``) and ``profile_sections``
  (parts of the profile page). So are ``seller_product_sections`` (parts of
  the product edit page), ``owned_product_details`` (lines under My Products
  rows) and ``receipt_lines`` (lines of a receipt email). Results are
  concatenated, as for ``_items``.

Hooks are always called with keyword arguments. An implementation may accept
any subset of a hook's parameters, in any order.

Call order: plugins run in the order they are listed in
``MARKETPLACE["PLUGINS"]``; core's own default implementations run last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_core.plugins.markers import hookspec

if TYPE_CHECKING:
    from django.core.checks import CheckMessage
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from marketplace_core.catalog.models import Product
    from marketplace_core.discounts.models import DiscountCode
    from marketplace_core.notifications.channels import NotificationChannel
    from marketplace_core.ownership.models import Order, Payment, PurchasedProduct, Refund
    from marketplace_core.payments.providers import PaymentProvider
    from marketplace_core.people.types import User
    from marketplace_core.plugins.types import (
        ApiRouter,
        DashboardSeries,
        DownloadTarget,
        NavArea,
        NavItem,
        OwnedProductDetail,
        PeriodicTask,
        ProductAction,
        ProductBadge,
        ProductSection,
        ProfileSection,
        ReceiptLine,
        WebhookEventType,
    )
    from marketplace_core.storage.backends import StorageBackend


# -------------------------------------------------------------------------
# catalog
# -------------------------------------------------------------------------


@hookspec
def product_saved(product: Product, created: bool) -> None:
    """A product was created or changed by its seller.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param product: The product as saved.
    :param created: ``True`` the first time the product is saved.
    """


@hookspec
def validate_product_delete(product: Product, actor: User) -> None:
    """Veto deleting a product.

    Validation: raise ``Rejected`` with a message for the seller to refuse;
    return value ignored. Core already refuses products that have been sold.

    :param product: The product about to be deleted.
    :param actor: The user asking for the deletion.
    """


@hookspec
def product_actions(
    request: HttpRequest, product: Product, purchase: PurchasedProduct
) -> list[ProductAction]:
    """Actions offered next to a product the current user owns (My Products).

    Per request: results are concatenated and sorted by ``order``. Called once
    per listed product, so an implementation must not query the database per
    call: load what it needs for all of ``request.user``'s products once and
    keep it on ``request`` for the following calls. An implementation that
    raises is logged and left out; the product stays listed.

    :param request: The current request.
    :param product: The owned product.
    :param purchase: The buyer's active ownership of it.
    :return: Zero or more actions.
    """


@hookspec
def seller_product_badges(request: HttpRequest, products: list[Product]) -> list[ProductBadge]:
    """Status badges next to the seller's own products (list and edit pages).

    Per request: called once per page with every product shown, so an
    implementation answers with one query at most; results are concatenated
    and grouped by ``ProductBadge.product_id`` (badges for other products are
    dropped). An implementation that raises is logged and left out.

    :param request: The current request (``request.user`` is the seller).
    :param products: The seller's products on the page.
    :return: Zero or more badges.
    """


@hookspec
def seller_product_sections(request: HttpRequest, product: Product) -> list[ProductSection]:
    """Sections below the form of the seller's product edit page (a plugin's
    per-product settings).

    Per request: results concatenated and sorted by ``order``; an
    implementation that raises is logged and left out. Called only for an
    existing product of ``request.user``; may query the database (a query or
    two). A section's forms post to the plugin's own views, which check that
    the product is the seller's (404 otherwise) and redirect back to the edit
    page.

    :param request: The current request (``request.user`` is the seller).
    :param product: The seller's product being edited.
    :return: Zero or more sections.
    """


@hookspec
def owned_product_details(
    request: HttpRequest, purchases: list[PurchasedProduct]
) -> list[OwnedProductDetail]:
    """Lines of text under products the current user owns (My Products), such as
    a license key.

    Per request: called once per page with every purchase listed, so an
    implementation answers with one query at most; results are concatenated,
    grouped by ``OwnedProductDetail.purchase_id`` (details of purchases not on
    the page are dropped) and sorted by ``order``. An implementation that
    raises is logged and left out.

    :param request: The current request.
    :param purchases: The buyer's active purchases on the page, ``product`` loaded.
    :return: Zero or more details.
    """


# -------------------------------------------------------------------------
# ownership
# -------------------------------------------------------------------------


@hookspec
def ownership_granted(purchase: PurchasedProduct) -> None:
    """A buyer now owns a product.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param purchase: The new, active ownership.
    """


@hookspec
def ownership_revoked(purchase: PurchasedProduct, reason: str) -> None:
    """A buyer lost access to a product (refund, chargeback, staff action).

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param purchase: The ownership, with ``revoked_at`` set.
    :param reason: A short machine-readable reason such as ``"refund"``.
    """


@hookspec(firstresult=True)
def resolve_download(request: HttpRequest, purchase: PurchasedProduct) -> DownloadTarget | None:
    """Where the owner of ``purchase`` fetches the product's file.

    First result wins. Core's default asks the configured storage backend.
    Called only after core checked that ``purchase`` is active and belongs to
    ``request.user``; the URL returned is sent as a redirect and never rendered.

    :param request: The download request.
    :param purchase: The active ownership being downloaded.
    :return: A short-lived target, or ``None`` to let the next implementation answer.
    """


# -------------------------------------------------------------------------
# roles
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolve_home_url(user: User) -> str | None:
    """The page a user lands on after logging in, verifying or paying.

    First result wins. Core's default: sellers to the seller dashboard,
    everyone else to My Products. Must return a same-site path.

    :param user: An authenticated user.
    :return: A path such as ``"/account/products/"``, or ``None``.
    """


# -------------------------------------------------------------------------
# payments
# -------------------------------------------------------------------------


@hookspec
def register_payment_providers() -> list[type[PaymentProvider]]:
    """Payment provider classes this plugin offers.

    Registration: called once; results concatenated. Each class needs a unique
    ``identifier``; ``MARKETPLACE["PAYMENT_PROVIDER"]`` picks the active one.

    :return: Subclasses of :class:`marketplace_core.payments.providers.PaymentProvider`.
    """


@hookspec
def payment_confirmed(order: Order, payment: Payment) -> None:
    """A payment succeeded and its order is paid.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param order: The paid order.
    :param payment: The successful payment attempt.
    """


@hookspec
def checkout_started(order: Order, request: HttpRequest) -> None:
    """A buyer started a checkout: ``order`` was created, or their open one reused.

    Event: delivered after commit, isolated, may repeat (a buyer who submits the
    checkout twice starts it twice, with the same pending order); return value
    ignored. Called before the buyer is sent to the payment provider, whether or
    not the provider then accepts the checkout. The place to remember what the
    buyer's request carries (an analytics client id, an attribution cookie) with
    the order, keyed by ``order.reference``.

    :param order: The pending order, saved.
    :param request: The checkout request (its cookies, ``request.user``).
    """


@hookspec
def payment_failed(order: Order, payment: Payment) -> None:
    """A payment attempt failed.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param order: The order the attempt belonged to.
    :param payment: The failed attempt, with ``failure_reason``.
    """


@hookspec
def receipt_lines(order: Order) -> list[ReceiptLine]:
    """Extra lines for the receipt email of a paid order (a license key).

    Per email: called when the receipt is rendered (in a Celery task, so there
    is no request), after the order's ownership was granted; results
    concatenated and sorted by ``order``. An implementation that raises is
    logged and left out: the receipt is sent without its lines. A receipt may
    be rendered more than once (the buyer asks for it again), so the lines must
    be the same each time.

    :param order: The paid order, ``product`` and ``buyer`` loaded.
    :return: Zero or more lines.
    """


@hookspec
def refund_recorded(order: Order, refund: Refund) -> None:
    """Money was given back for an order.

    Event: delivered after commit, isolated, may repeat; return value ignored.

    :param order: The refunded order.
    :param refund: The refund row.
    """


# -------------------------------------------------------------------------
# discount codes
# -------------------------------------------------------------------------


@hookspec
def discount_code_saved(code: DiscountCode, created: bool) -> None:
    """A seller created or changed a discount code (deactivating one included).

    Event: delivered after commit, isolated, may repeat; return value ignored.
    A payment provider that keeps its own copy of codes (Dodo's discounts)
    brings it up to date here, from a Celery task that reads the code again.

    :param code: The code as saved, with its ``products``.
    :param created: ``True`` the first time the code is saved.
    """


@hookspec
def discount_code_deleted(code_id: int, seller_id: int) -> None:
    """A seller deleted a discount code no order had used.

    Event: delivered after commit, isolated, may repeat; return value ignored.
    The row is gone: implementations find their own records by ``code_id``.

    :param code_id: The deleted code's primary key.
    :param seller_id: Its seller's primary key.
    """


# -------------------------------------------------------------------------
# storage and notifications
# -------------------------------------------------------------------------


@hookspec
def register_storage_backends() -> list[type[StorageBackend]]:
    """Storage backend classes for product files.

    Registration: called once; results concatenated. Each class needs a unique
    ``identifier``; ``MARKETPLACE["STORAGE_BACKEND"]`` picks the active one.

    :return: Subclasses of :class:`marketplace_core.storage.backends.StorageBackend`.
    """


@hookspec
def register_notification_channels() -> list[type[NotificationChannel]]:
    """Notification channel classes (Telegram, Slack, ...).

    Registration: called once; results concatenated.

    :return: Subclasses of
        :class:`marketplace_core.notifications.channels.NotificationChannel`.
    """


# -------------------------------------------------------------------------
# maintenance and background work
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def resolve_maintenance_bypass(request: HttpRequest) -> bool | None:
    """Whether ``request`` may pass while maintenance mode is on.

    First result wins; called only while maintenance mode is on. Core already
    lets staff, the secret bypass parameter, webhooks, static files and the
    health endpoint through.

    :param request: The incoming request (``request.user`` is available).
    :return: ``True`` to let it pass, ``False`` to block it, ``None`` to abstain.
    """


@hookspec
def register_periodic_tasks() -> list[PeriodicTask]:
    """Celery tasks to run on a schedule (merged into Celery beat's schedule).

    Registration: called once when the Celery app configures itself; results
    concatenated. Tasks must be idempotent: workers die and brokers redeliver.

    :return: Periodic task descriptions.
    """


# -------------------------------------------------------------------------
# site: navigation, URLs, API, dashboard
# -------------------------------------------------------------------------


@hookspec
def nav_items(request: HttpRequest, area: NavArea) -> list[NavItem]:
    """Links for one navigation area of the current page.

    Per request: results concatenated and sorted by ``order``. Must not query
    the database.

    :param request: The current request (``request.user`` may be anonymous).
    :param area: Which navigation: ``"main"``, ``"account"``, ``"customer"``,
        ``"seller"`` or ``"footer"``.
    :return: Zero or more links.
    """


@hookspec
def profile_sections(request: HttpRequest, area: NavArea) -> list[ProfileSection]:
    """Sections to add to the logged-in person's profile page.

    Per request: results concatenated and sorted by ``order``; an
    implementation that raises is logged and left out. Shown below core's
    own sections (the name, the notification switches) on the customer
    panel's and the seller panel's profile page. The profile page is never
    cached, so an implementation may query the database (keep it to a query or
    two). A section's forms post to the plugin's own views, which redirect
    back to ``request.path``.

    :param request: The current request (``request.user`` is logged in).
    :param area: Which profile page: ``"customer"`` or ``"seller"``.
    :return: Zero or more sections (a Telegram plugin's "Connect Telegram").
    """


@hookspec
def nav_cache_token(request: HttpRequest) -> str | None:
    """What this plugin's ``nav_items`` (or its other output in a cached page's
    ``{% user_part %}`` blocks) show ``request.user`` beyond what the page cache
    follows by itself.

    A logged-in visitor's parts of a cached storefront page are kept per person
    (``catalog/visitors.py``) and used while nothing they show changed: the
    person's purchases, refunds, seller status and saved rows, the catalog. A
    plugin whose items change with its own data (a badge with a count) either
    calls ``marketplace_core.catalog.visitors.bump_person_after_commit(user_id)``
    when that data changes (the cheapest: nothing to do per request), or
    returns here a short string that changes with it (a counter or version kept
    in the cache). Called for every logged-in page served from the page cache,
    before anything renders: must be cheap and must not query the database.

    :param request: The current request (``request.user`` is logged in).
    :return: ``None`` when the items depend on nothing more; a string: the
        visitor's cached parts are used only while every plugin returns the
        same strings; ``marketplace_core.plugins.types.NAV_NOT_CACHED``: the
        parts are rendered for every request.
    """


@hookspec
def register_urlpatterns() -> list[URLPattern | URLResolver]:
    """URL patterns of this plugin.

    Registration: called once when the URLconf loads. Core mounts each
    plugin's patterns under ``<url_prefix>/`` with the plugin's name as URL
    namespace, so ``reverse("support:create")`` works.

    :return: Django URL patterns.
    """


@hookspec
def register_api_routers() -> list[ApiRouter]:
    """django-ninja routers to mount under ``/api/v1/``.

    Registration: called once when the API is assembled. Each router is mounted
    at ``/api/v1/<prefix>``; declare its authentication with ``auth=`` (a seller's
    key: :func:`marketplace_core.api_auth.api_key_auth`), and its errors answer
    with the API's error body (``docs/api.md``).

    :return: Router factories (see :class:`marketplace_core.plugins.types.ApiRouter`).
    """


@hookspec
def dashboard_series(seller: User, period: str) -> list[DashboardSeries]:
    """Extra chart series for the seller dashboard.

    Per request: results concatenated. Must answer without network calls that
    can hang the dashboard; cache remote data. An implementation that raises
    is logged and left out.

    :param seller: The seller looking at the dashboard.
    :param period: ``"7d"``, ``"30d"``, ``"90d"`` (points per day, labelled
        ``2026-03-15``) or ``"12m"`` (per month, ``2026-03``); see
        :mod:`marketplace_core.analytics.periods`.
    :return: Zero or more series; ``note`` says why one is empty, ``per_product``
        gives totals per product (``"views"``: page views, for the conversion rate).
    """


@hookspec
def head_tags(request: HttpRequest) -> list[str]:
    """HTML fragments for the ``<head>`` of every page (a script tag, a meta tag).

    Per request: results concatenated, in plugin order; an implementation that
    raises is logged and left out. Rendered by ``{% marketplace_head_tags %}``
    (in ``includes/wiring.html``, so core's layout and a project's
    ``BASE_TEMPLATE`` both have it) for *every* response, storefront pages
    served from the page cache included: their cached copy keeps a marker that
    is filled for each request, anonymous visitors' too. So the fragments may
    depend on the request (a consent cookie, the CSP nonce), and must not
    query the database: this runs on every cached page view.

    :param request: The current request (``request.user`` may be anonymous).
    :return: Zero or more fragments, each marked safe (``format_html``); a
        plain ``str`` is escaped.
    """


# -------------------------------------------------------------------------
# outbound webhooks
# -------------------------------------------------------------------------


@hookspec
def register_webhook_events() -> list[WebhookEventType]:
    """Event types this plugin sends to sellers' webhook endpoints.

    Registration: called once; results concatenated. A name registered twice
    fails loudly. Send an event with
    :func:`marketplace_core.outbound.services.emit`; document its payload.

    :return: :class:`~marketplace_core.plugins.types.WebhookEventType` values.
    """


# -------------------------------------------------------------------------
# demo data
# -------------------------------------------------------------------------


@hookspec
def demo_products_seeded(products: list[Product]) -> None:
    """``manage.py seed_demo`` made (or found) its demo products.

    Event: delivered after commit, isolated, may repeat (every run of the
    command); return value ignored. Delivered before the demo buyer's purchases,
    so what a plugin sets up on a product here (a license policy) applies to them.

    :param products: The published demo products, oldest first; the demo buyer
        buys the first three not their own.
    """


# -------------------------------------------------------------------------
# configuration
# -------------------------------------------------------------------------


@hookspec
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    """System-check messages about this plugin's configuration.

    Check: run by ``manage.py check`` and at start-up; results concatenated.
    Ids must start with the plugin's name (``"payments_dodo.E001"``).

    :param app_configs: As passed to Django check functions (``None`` = all apps).
    :return: ``django.core.checks`` messages.
    """
