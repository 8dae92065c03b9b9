"""Typed, lazy access to the ``MARKETPLACE`` setting.

Every read goes to ``django.conf.settings`` at the moment it is made, so
``override_settings`` works and nothing is read at import time.

Example::

    MARKETPLACE = {
        "PLUGINS": ["payments_dodo", "storage_s3"],
        "PAYMENT_PROVIDER": "dodo",
        "STORAGE_BACKEND": "s3",
        "payments_dodo": {"API_KEY": os.environ["DODO_PAYMENTS_API_KEY"]},
    }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "PLUGINS": [],
    "PAYMENT_PROVIDER": "dummy",
    "STORAGE_BACKEND": "local",
    # Local storage: where product files live (never under MEDIA_ROOT, which is public).
    "LOCAL_STORAGE_ROOT": None,
    "ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG": False,
    # Lifetime of a download link, in seconds (never over 7 days).
    "DOWNLOAD_LINK_TTL": 300,
    # The dummy provider's Standard Webhooks secret; derived from SECRET_KEY when unset.
    "DUMMY_WEBHOOK_SECRET": None,
    "MAINTENANCE_MODE": False,
    "MAINTENANCE_BYPASS_SECRET": "",
    "MAINTENANCE_RETRY_AFTER": 3600,
    # Which URLs maintenance mode closes: "marketplace" (the framework's) or "site" (all).
    "MAINTENANCE_SCOPE": "marketplace",
    "SITE_NAME": "Marketplace",
    # A project's base template for every shop page (None: core's own layout).
    "BASE_TEMPLATE": None,
    # Storefront and accounts (docs/settings.md): marketing quotes on the home page,
    # the site's public address for links in emails, login throttling and email links.
    "TESTIMONIALS": [],
    "SITE_URL": "",
    "PRODUCTS_PER_PAGE": 24,
    # Addresses per sitemap page (the protocol allows 50,000): /sitemap.xml is an
    # index of pages of at most this many (docs/storefront.md#search-engines).
    "SITEMAP_PAGE_SIZE": 50_000,
    # Seconds a storefront page stays in the shared cache (0: no page cache);
    # any catalog change replaces it sooner (docs/performance.md).
    "PAGE_CACHE_TIMEOUT": 600,
    "LOGIN_FAILURE_LIMIT": 5,
    "LOGIN_FAILURE_WINDOW": 15 * 60,
    "TRUSTED_PROXY_COUNT": 0,
    "EMAIL_VERIFICATION_TTL": 24 * 3600,
    "PASSWORD_RESET_TTL": 3600,
    "ACCOUNT_EMAIL_COOLDOWN": 5 * 60,
    # Per client address, across accounts: "count/period" (docs/accounts.md#rate-limits).
    "ADDRESS_RATE_LIMITS": {
        "login_failures": "20/15m",
        "registrations": "10/h",
        "password_resets": "10/h",
        "verification_emails": "10/h",
        "receipt_emails": "10/h",
        "guest_checkouts": "20/h",
        "purchase_links": "10/h",
        "discount_code_failures": "30/h",
        "api_key_failures": "30/m",
    },
    # API v1: requests per key, "count/period" like ADDRESS_RATE_LIMITS (docs/api.md#rate-limits).
    "API_RATE_LIMIT": "120/m",
    # Core's email login, registration, verification and password pages; off when the
    # project has its own (Django's auth views, django-allauth): LOGIN_URL names them.
    "ACCOUNT_PAGES": True,
    # Lifetime of the download link in a receipt, in seconds (docs/receipts.md).
    "RECEIPT_LINK_TTL": 7 * 24 * 3600,
    # Buying with an email address alone, no account needed (docs/guests.md).
    "GUEST_CHECKOUT": False,
    # Lifetime of an emailed "My purchases" link for guests, in seconds (docs/guests.md).
    "GUEST_LINK_TTL": 3600,
    # Seconds an unpaid checkout stays open before its order expires (docs/checkout.md).
    "PENDING_ORDER_TTL": 24 * 3600,
    # Run periodic tasks inside the web process, after requests (a demo without beat).
    "PERIODIC_TASKS_IN_PROCESS": False,
    # Outbound webhooks (docs/webhooks-outbound.md): plain http:// endpoints (demo and
    # tests only), non-public addresses let through (a local test receiver), timeouts.
    "WEBHOOKS_ALLOW_HTTP": False,
    "WEBHOOKS_ALLOWED_ADDRESSES": [],
    "WEBHOOKS_CONNECT_TIMEOUT": 5,
    "WEBHOOKS_READ_TIMEOUT": 10,
    # Product images (docs/media.md): the STORAGES alias of the public media storage
    # ("default" when STORAGES has no such alias), upload limits, and the widths of the
    # WebP variants made in the background (never wider than the original).
    "MEDIA_STORAGE": "marketplace_media",
    "IMAGE_MAX_BYTES": 10 * 1024 * 1024,
    "IMAGE_MAX_PIXELS": 40_000_000,
    "IMAGE_VARIANT_WIDTHS": [320, 640, 1280],
    "IMAGE_FALLBACK_WIDTH": 640,
    "GALLERY_MAX_IMAGES": 8,
}

MAX_DOWNLOAD_LINK_TTL = 7 * 24 * 3600


class MarketplaceSettings:
    """Attribute access to ``settings.MARKETPLACE`` with :data:`DEFAULTS`."""

    @property
    def raw(self) -> dict[str, Any]:
        value = getattr(settings, "MARKETPLACE", {})
        return value if isinstance(value, dict) else {}

    def _get(self, key: str) -> Any:
        return self.raw.get(key, DEFAULTS[key])

    @property
    def PLUGINS(self) -> list[str]:
        """Enabled plugin names; a lone string is one name, not a list of letters."""
        value = self._get("PLUGINS")
        if isinstance(value, str):
            return [value]
        return list(value or [])

    @property
    def PAYMENT_PROVIDER(self) -> str:
        return str(self._get("PAYMENT_PROVIDER"))

    @property
    def STORAGE_BACKEND(self) -> str:
        return str(self._get("STORAGE_BACKEND"))

    @property
    def LOCAL_STORAGE_ROOT(self) -> Path:
        value = self._get("LOCAL_STORAGE_ROOT")
        if value:
            return Path(value)
        return Path(getattr(settings, "BASE_DIR", None) or ".").resolve() / "private-media"

    @property
    def ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG(self) -> bool:
        return bool(self._get("ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG"))

    @property
    def DOWNLOAD_LINK_TTL(self) -> int:
        return int(self._get("DOWNLOAD_LINK_TTL"))

    @property
    def DUMMY_WEBHOOK_SECRET(self) -> str | None:
        return self._get("DUMMY_WEBHOOK_SECRET")

    @property
    def MAINTENANCE_MODE(self) -> bool:
        return bool(self._get("MAINTENANCE_MODE"))

    @property
    def MAINTENANCE_BYPASS_SECRET(self) -> str:
        return str(self._get("MAINTENANCE_BYPASS_SECRET") or "")

    @property
    def MAINTENANCE_RETRY_AFTER(self) -> int:
        return int(self._get("MAINTENANCE_RETRY_AFTER"))

    @property
    def MAINTENANCE_SCOPE(self) -> str:
        """``"marketplace"`` (the framework's URLs) or ``"site"`` (every URL)."""
        return str(self._get("MAINTENANCE_SCOPE"))

    @property
    def BASE_TEMPLATE(self) -> str | None:
        """The project's base template name that shop pages extend, or ``None`` for
        core's layout (``marketplace_core/layout.html``)."""
        value = self._get("BASE_TEMPLATE")
        return value if isinstance(value, str) and value else None

    @property
    def SITE_NAME(self) -> str:
        return str(self._get("SITE_NAME"))

    @property
    def TESTIMONIALS(self) -> list[dict[str, str]]:
        """Quotes for the home page: dicts with ``quote``, ``author`` and optional ``role``."""
        return list(self._get("TESTIMONIALS") or [])

    @property
    def SITE_URL(self) -> str:
        """``https://shop.example.com`` (no trailing slash), or ``""`` to use the request's."""
        return str(self._get("SITE_URL") or "").rstrip("/")

    @property
    def PRODUCTS_PER_PAGE(self) -> int:
        return int(self._get("PRODUCTS_PER_PAGE"))

    @property
    def SITEMAP_PAGE_SIZE(self) -> int:
        return int(self._get("SITEMAP_PAGE_SIZE"))

    @property
    def PAGE_CACHE_TIMEOUT(self) -> int:
        return int(self._get("PAGE_CACHE_TIMEOUT"))

    @property
    def LOGIN_FAILURE_LIMIT(self) -> int:
        return int(self._get("LOGIN_FAILURE_LIMIT"))

    @property
    def LOGIN_FAILURE_WINDOW(self) -> int:
        return int(self._get("LOGIN_FAILURE_WINDOW"))

    @property
    def TRUSTED_PROXY_COUNT(self) -> int:
        return int(self._get("TRUSTED_PROXY_COUNT"))

    @property
    def EMAIL_VERIFICATION_TTL(self) -> int:
        return int(self._get("EMAIL_VERIFICATION_TTL"))

    @property
    def PASSWORD_RESET_TTL(self) -> int:
        return int(self._get("PASSWORD_RESET_TTL"))

    @property
    def ACCOUNT_EMAIL_COOLDOWN(self) -> int:
        return int(self._get("ACCOUNT_EMAIL_COOLDOWN"))

    @property
    def ADDRESS_RATE_LIMITS(self) -> dict[str, str]:
        """The site's per-address rates (``"20/15m"``) by action; missing ones use defaults."""
        value = self.raw.get("ADDRESS_RATE_LIMITS")
        return {**DEFAULTS["ADDRESS_RATE_LIMITS"], **(value if isinstance(value, dict) else {})}

    @property
    def API_RATE_LIMIT(self) -> str:
        """Requests one API key may make per period (``"120/m"``)."""
        return str(self._get("API_RATE_LIMIT"))

    @property
    def ACCOUNT_PAGES(self) -> bool:
        """Whether core's own login, registration and password pages answer."""
        return self._get("ACCOUNT_PAGES") is not False

    @property
    def RECEIPT_LINK_TTL(self) -> int:
        return int(self._get("RECEIPT_LINK_TTL"))

    @property
    def GUEST_CHECKOUT(self) -> bool:
        """Whether a visitor who is not logged in may buy with an email address."""
        return self._get("GUEST_CHECKOUT") is True

    @property
    def GUEST_LINK_TTL(self) -> int:
        return int(self._get("GUEST_LINK_TTL"))

    @property
    def PENDING_ORDER_TTL(self) -> int:
        return int(self._get("PENDING_ORDER_TTL"))

    @property
    def PERIODIC_TASKS_IN_PROCESS(self) -> bool:
        return self._get("PERIODIC_TASKS_IN_PROCESS") is True


    @property
    def WEBHOOKS_ALLOW_HTTP(self) -> bool:
        """Whether webhook endpoints may use ``http://`` (never in production)."""
        return self._get("WEBHOOKS_ALLOW_HTTP") is True

    @property
    def WEBHOOKS_ALLOWED_ADDRESSES(self) -> list[str]:
        """Non-public IP addresses webhooks may still reach (a local test receiver)."""
        value = self._get("WEBHOOKS_ALLOWED_ADDRESSES")
        if isinstance(value, str):
            return [value]
        return [str(item) for item in value or []]

    @property
    def WEBHOOKS_CONNECT_TIMEOUT(self) -> float:
        return float(self._get("WEBHOOKS_CONNECT_TIMEOUT"))

    @property
    def WEBHOOKS_READ_TIMEOUT(self) -> float:
        return float(self._get("WEBHOOKS_READ_TIMEOUT"))

    @property
    def MEDIA_STORAGE(self) -> str:
        return str(self._get("MEDIA_STORAGE"))

    @property
    def IMAGE_MAX_BYTES(self) -> int:
        return int(self._get("IMAGE_MAX_BYTES"))

    @property
    def IMAGE_MAX_PIXELS(self) -> int:
        return int(self._get("IMAGE_MAX_PIXELS"))

    @property
    def IMAGE_VARIANT_WIDTHS(self) -> list[int]:
        return sorted({int(width) for width in self._get("IMAGE_VARIANT_WIDTHS")})

    @property
    def IMAGE_FALLBACK_WIDTH(self) -> int:
        return int(self._get("IMAGE_FALLBACK_WIDTH"))

    @property
    def GALLERY_MAX_IMAGES(self) -> int:
        return int(self._get("GALLERY_MAX_IMAGES"))

    def plugin(self, name: str) -> dict[str, Any]:
        """The options dict of plugin ``name`` (``MARKETPLACE[name]``), empty if unset.

        A value that is not a dict also reads as ``{}``, so code reading options
        never fails; the plugin's system check reports it through
        :meth:`plugin_options_problem` (otherwise every option looks unset).
        """
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    def plugin_options_problem(self, name: str) -> str | None:
        """Why ``MARKETPLACE[name]`` cannot be plugin ``name``'s options, or ``None``.

        For a plugin's ``check_configuration``: report this message (with the
        plugin's own check id) and skip the per-option checks, which would
        only say that each option is missing.
        """
        value = self.raw.get(name, {})
        if isinstance(value, dict):
            return None
        return (f"MARKETPLACE[{name!r}] must be a dict of options, "
                f"not {type(value).__name__} {value!r:.60}.")


conf = MarketplaceSettings()
