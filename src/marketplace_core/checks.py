"""System checks for core settings, plus the bridge to plugins' ``check_configuration``.

Each setting that can be wrong has its own id; ``docs/settings.md`` lists them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# The storefront and account checks (E020-E029) register when imported.
from marketplace_core.accounts import checks as _account_checks  # noqa: F401

# The API's per-key rate (E050) registers when imported.
from marketplace_core.api_keys import checks as _api_key_checks  # noqa: F401

# The page cache's warning (W031) registers when imported.
from marketplace_core.catalog import checks as _catalog_checks  # noqa: F401
from marketplace_core.conf import DEFAULTS, MAX_DOWNLOAD_LINK_TTL, conf

# The product image settings' checks (E060-E065) register when imported.
from marketplace_core.media import checks as _media_checks  # noqa: F401

# The outbound webhook settings' checks (E052, W053) register when imported.
from marketplace_core.outbound import checks as _outbound_checks  # noqa: F401

# Any user model: what it (or LOGIN_URL) leaves out (E040-E044, W040-W041).
from marketplace_core.people import checks as _people_checks  # noqa: F401

CORE_DISTRIBUTION = "marketplace-core"
MAINTENANCE_SCOPES = ("marketplace", "site")


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Shape of ``MARKETPLACE`` and the core values in it."""
    errors: list[CheckMessage] = []
    raw = getattr(settings, "MARKETPLACE", {})
    if not isinstance(raw, dict):
        return [
            Error("MARKETPLACE must be a dict.", id="marketplace_core.E001",
                  hint="MARKETPLACE = {'PLUGINS': [...]}"),
        ]
    plugin_names = set(conf.PLUGINS)
    unknown = sorted(k for k in raw if k not in DEFAULTS and k not in plugin_names)
    if unknown:
        errors.append(
            Warning(
                f"MARKETPLACE has unknown keys: {', '.join(unknown)}.",
                hint="Plugin options only apply to plugins named in MARKETPLACE['PLUGINS'].",
                id="marketplace_core.W003",
            )
        )
    ttl = raw.get("DOWNLOAD_LINK_TTL", DEFAULTS["DOWNLOAD_LINK_TTL"])
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= MAX_DOWNLOAD_LINK_TTL:
        errors.append(
            Error(
                f"MARKETPLACE['DOWNLOAD_LINK_TTL'] must be whole seconds between 1 and "
                f"{MAX_DOWNLOAD_LINK_TTL} (7 days); it is {ttl!r}.",
                id="marketplace_core.E006",
            )
        )
    scope = raw.get("MAINTENANCE_SCOPE", DEFAULTS["MAINTENANCE_SCOPE"])
    if scope not in MAINTENANCE_SCOPES:
        errors.append(
            Error(
                f"MARKETPLACE['MAINTENANCE_SCOPE'] must be 'marketplace' or 'site'; it is "
                f"{scope!r:.60}.",
                hint="'marketplace': maintenance mode closes only the shop's URLs; 'site': "
                "every URL of the project. Until fixed, every URL closes.",
                id="marketplace_core.E012",
            )
        )
    errors.extend(_base_template_problems(raw.get("BASE_TEMPLATE")))
    return errors


def _base_template_problems(name: object) -> list[CheckMessage]:
    """E013: ``BASE_TEMPLATE`` is set but names no template that loads."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template

    if name is None:
        return []
    hint = ("A template name the project's TEMPLATES find, with blocks title, head and content "
            "and {% include \"marketplace_core/includes/wiring.html\" %} in its <head>; "
            "None for core's own layout.")
    if not isinstance(name, str) or not name:
        return [Error(f"MARKETPLACE['BASE_TEMPLATE'] must be a template name; it is {name!r:.60}.",
                      hint=hint, id="marketplace_core.E013")]
    try:
        get_template(name)
    except TemplateDoesNotExist:
        problem = "does not exist"
    except TemplateSyntaxError as exc:
        problem = f"does not compile ({exc})"
    else:
        return []
    return [Error(f"MARKETPLACE['BASE_TEMPLATE'] names the template {name!r}, which {problem}: "
                  "every shop page would fail.", hint=hint, id="marketplace_core.E013")]


@register(Tags.security)
def check_security_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What would let someone in or get products free (``check --tag security``, ``--deploy``)."""
    errors: list[CheckMessage] = []
    raw = getattr(settings, "MARKETPLACE", {})
    secret = raw.get("MAINTENANCE_BYPASS_SECRET", "") if isinstance(raw, dict) else ""
    if secret and (not isinstance(secret, str) or len(secret) < 16):
        errors.append(
            Error(
                "MARKETPLACE['MAINTENANCE_BYPASS_SECRET'] must be at least 16 characters.",
                hint="Read it from the environment; a short secret can be guessed.",
                id="marketplace_core.E008",
            )
        )
    if conf.PAYMENT_PROVIDER == "dummy" and not settings.DEBUG:
        errors.append(
            Warning(
                "The dummy payment provider is active with DEBUG off: anyone can 'pay' "
                "without money moving.",
                hint="Set MARKETPLACE['PAYMENT_PROVIDER'] to a real provider.",
                id="marketplace_core.W001",
            )
        )
    return errors


@register(Tags.files)
def check_downloads(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Whether buyers can download product files with ``DEBUG`` off."""
    errors: list[CheckMessage] = []
    if conf.ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG and not settings.DEBUG:
        errors.append(
            Warning(
                "MARKETPLACE['ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG'] serves product files from "
                "the web process with DEBUG off.",
                hint="Use a storage backend with presigned URLs (storage_s3) in production.",
                id="marketplace_core.W002",
            )
        )
    elif conf.STORAGE_BACKEND == "local" and not settings.DEBUG:
        errors.append(
            Warning(
                "Product files are on local storage with DEBUG off: every download link is "
                "refused (404), so buyers cannot download what they paid for.",
                hint="Configure a storage backend with presigned URLs (storage_s3), or set "
                "MARKETPLACE['ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG'] for a single-machine site.",
                id="marketplace_core.W005",
            )
        )
    return errors


MAINTENANCE_MIDDLEWARE = "marketplace_core.maintenance.middleware.UnderConstructionMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register(Tags.compatibility)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The maintenance middleware needs ``request.user`` to let staff through."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MAINTENANCE_MIDDLEWARE not in middleware:
        return []
    if AUTH_MIDDLEWARE not in middleware or middleware.index(AUTH_MIDDLEWARE) > middleware.index(
        MAINTENANCE_MIDDLEWARE
    ):
        return [
            Error(
                "UnderConstructionMiddleware must come after AuthenticationMiddleware in "
                "MIDDLEWARE.",
                hint="Staff users pass maintenance mode, which needs request.user.",
                id="marketplace_core.E010",
            )
        ]
    return []


@register(Tags.compatibility)
def check_anonymous_page_middleware(app_configs: Any = None,
                                    **kwargs: Any) -> list[CheckMessage]:
    """E054: ``AnonymousPageMiddleware`` answers before the middleware listed after
    it runs, so it must be last (a security header or a login wall after it
    would be skipped on the pages it answers)."""
    from marketplace_core.catalog.anonymous_pages import MIDDLEWARE_PATH

    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware or middleware[-1] == MIDDLEWARE_PATH:
        return []
    after = middleware[middleware.index(MIDDLEWARE_PATH) + 1:]
    return [
        Error(
            "AnonymousPageMiddleware must be the last entry of MIDDLEWARE; listed after it: "
            f"{', '.join(after)}.",
            hint="It answers anonymous visitors' cached storefront pages at once: a "
            "middleware after it would not run for them. Move it to the end.",
            id="marketplace_core.E054",
        )
    ]


@register(Tags.urls)
def check_url_namespaces(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E011: the project's URLconf includes something else under one of the framework's
    URL namespaces, which then reverses to the wrong page (or ours to theirs)."""
    from marketplace_core.urls import foreign_framework_namespaces

    try:
        clashes = foreign_framework_namespaces()
    except Exception:  # a broken URLconf is for Django's own URL checks to report
        return []
    return [
        Error(
            f"The URLconf includes {route!r} under the namespace {namespace!r}, which is the "
            "framework's own: reverse() cannot tell the two apart.",
            hint=f"Give that include another namespace; {namespace!r} belongs to "
            "marketplace_core.urls (core 'marketplace', its API 'marketplace-api', each "
            "enabled plugin its name).",
            id="marketplace_core.E011",
        )
        for namespace, route in clashes
    ]


@register(Tags.compatibility)
def check_plugins(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Enabled plugins: installed as apps, compatible with this core."""
    from django.apps import apps

    from marketplace_core import __version__
    from marketplace_core.plugins.manager import enabled_plugins

    errors: list[CheckMessage] = []
    for info in enabled_plugins():
        app_module = info.app.split(".apps.")[0]
        if not any(
            cfg.name == app_module or cfg.label == info.name for cfg in apps.get_app_configs()
        ):
            errors.append(
                Error(
                    f"Plugin {info.name!r} is enabled but its app {info.app!r} is not in "
                    "INSTALLED_APPS.",
                    hint="Build INSTALLED_APPS with "
                    "marketplace_core.plugins.loading.plugin_apps().",
                    id="marketplace_core.E002",
                )
            )
        try:
            requirement = Requirement(info.compatibility)
        except InvalidRequirement:
            errors.append(
                Error(
                    f"Plugin {info.name!r} declares an unreadable compatibility "
                    f"{info.compatibility!r}.",
                    id="marketplace_core.E003",
                )
            )
            continue
        # Compare normalized names: "marketplace_core" and "Marketplace.Core" are the same.
        same_name = canonicalize_name(requirement.name) == CORE_DISTRIBUTION
        if not same_name or not requirement.specifier.contains(__version__, prereleases=True):
            errors.append(
                Error(
                    f"Plugin {info.name!r} {info.version} requires {info.compatibility}, "
                    f"but {CORE_DISTRIBUTION} {__version__} is installed.",
                    hint="Upgrade the plugin or install a compatible marketplace-core.",
                    id="marketplace_core.E003",
                )
            )
    return errors


@register(Tags.compatibility)
def check_providers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The configured payment provider and storage backend exist."""
    from marketplace_core.plugins import registry

    errors: list[CheckMessage] = []
    for getter, error_id in (
        (registry.payment_provider, "marketplace_core.E004"),
        (registry.storage_backend, "marketplace_core.E005"),
    ):
        try:
            getter()
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id=error_id))
    return errors


@register(Tags.compatibility)
def check_notifications(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W004: notification channels are registered, but tasks run eagerly with ``DEBUG`` off.

    With ``CELERY_TASK_ALWAYS_EAGER`` (or no ``CELERY_BROKER_URL``) core's
    notification task runs in the request that queued it (after its transaction
    commits): every page that notifies waits for the channel's service, and
    failures are never retried.
    Fine in development (``DEBUG`` on); in production, configure a broker.
    Core's own email channel is not counted: it is there on every site, and
    in-process emails are W006's subject, as the other emails are.
    """
    from marketplace_core.celery_app import tasks_run_in_process
    from marketplace_core.notifications.preferences import EMAIL
    from marketplace_core.plugins.registry import notification_channels

    if settings.DEBUG or not tasks_run_in_process():
        return []
    try:
        channels = sorted(name for name in notification_channels() if name != EMAIL)
    except ImproperlyConfigured:
        return []  # a channel registration error stops start-up with its own message
    if not channels:
        return []
    return [
        Warning(
            f"Notification channels are registered ({', '.join(channels)}), but tasks run "
            "in process (CELERY_TASK_ALWAYS_EAGER, or no CELERY_BROKER_URL) with DEBUG off: "
            "notifications are sent inside the request that caused them (after its "
            "transaction commits), and failed sends are not retried.",
            hint="Configure a Celery broker (CELERY_BROKER_URL, e.g. Redis), set "
            "CELERY_TASK_ALWAYS_EAGER = False and run a worker.",
            id="marketplace_core.W004",
        )
    ]


# Plugins check their secrets and credentials here too (webhook secrets, keys kept out of
# settings), so `check --tag security` and `check --deploy` run them.
@register(Tags.compatibility)
def check_task_broker(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W006: no ``CELERY_BROKER_URL`` with ``DEBUG`` off, so every task runs in process.

    The site works without Celery (:func:`~marketplace_core.celery_app.\
run_tasks_in_process_without_broker`), but each task runs inside the request
    that queued it, after its transaction commits: the request waits for emails
    and providers, failed tasks are not retried, delayed work (deleting a
    replaced product file after the download link lifetime) happens at once,
    and periodic tasks never run.
    """
    from marketplace_core.celery_app import broker_configured

    if settings.DEBUG or broker_configured():
        return []
    return [
        Warning(
            "No CELERY_BROKER_URL with DEBUG off: every task (emails, notifications, "
            "provider syncs) runs in process, inside the request that queued it, after its "
            "transaction commits; failed tasks are not retried and periodic tasks never run.",
            hint="Set CELERY_BROKER_URL (e.g. redis://localhost:6379/0), create the site's "
            "Celery app with marketplace_core.celery_app.create_celery_app and run a worker "
            "(and beat).",
            id="marketplace_core.W006",
        )
    ]


@register(Tags.compatibility, Tags.security)
def check_plugin_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Collect ``check_configuration`` results from every enabled plugin."""
    from marketplace_core.plugins.manager import call

    # Failures isolated, so a crashing check is reported against its plugin
    # instead of aborting `manage.py check` with a traceback.
    checked = call("check_configuration", {"app_configs": app_configs}, isolate=True)
    messages: list[CheckMessage] = [message for group in checked.result for message in group]
    messages.extend(
        Error(
            f"Plugin {plugin!r}: its configuration check crashed: {type(exc).__name__}: {exc}",
            id="marketplace_core.E009",
        )
        for plugin, exc in checked.failures
    )
    return messages
