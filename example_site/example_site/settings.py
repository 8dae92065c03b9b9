"""Example site settings, read from a 12-factor environment.

With nothing set it runs on SQLite, a local-memory cache, in-process Celery
tasks, local files and the dummy payment provider. These switch on the
production parts:

==================================  ==================================================
``DJANGO_ENV=production``            secure cookies, HSTS, SSL redirect; DEBUG off
``DJANGO_SECRET_KEY``                required in production
``DJANGO_ALLOWED_HOSTS``             comma-separated
``DATABASE_URL``                     e.g. ``postgres://user:pw@host/db``
``REDIS_URL``                        shared cache and Celery broker; tasks go to workers
``EMAIL_HOST`` (+ PORT, USER…)    SMTP (otherwise emails print to the console and go to var/mail/)
``MARKETPLACE_PLUGINS``              comma-separated; default below
``DODO_PAYMENTS_API_KEY`` …          enables ``payments_dodo`` (see docs/settings.md)
``S3_BUCKET`` …                      enables ``storage_s3``
``S3_MEDIA_BUCKET``, ``S3_MEDIA_URL``  product images in that public-read bucket (docs/media.md)
``TELEGRAM_BOT_TOKEN`` …             enables ``notify_telegram``
``GA4_PROPERTY_ID``, ``GA4_MEASUREMENT_ID`` …  enables ``analytics_ga4`` (docs/analytics_ga4.md)
``MAINTENANCE_MODE``, ``MAINTENANCE_BYPASS_SECRET``
``MARKETPLACE_GUEST_CHECKOUT=0``     visitors must log in to buy (on by default here)
==================================  ==================================================
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django

from marketplace_core.plugins.loading import plugin_apps


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("MARKETPLACE_VAR_DIR", str(BASE_DIR / "var")))
PRODUCTION = env("DJANGO_ENV", "development") == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("Set DJANGO_SECRET_KEY in production.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- plugins -----------------------------------------------------------------

_default_plugins = ["support", "shorturl", "licenses"]
if env("DODO_PAYMENTS_API_KEY"):
    _default_plugins.insert(0, "payments_dodo")
if env("S3_BUCKET"):
    _default_plugins.append("storage_s3")
if env("TELEGRAM_BOT_TOKEN"):
    _default_plugins.append("notify_telegram")
if env("GA4_PROPERTY_ID") or env("GA4_MEASUREMENT_ID"):
    _default_plugins.append("analytics_ga4")

MARKETPLACE = {
    "PLUGINS": env_list("MARKETPLACE_PLUGINS", ",".join(_default_plugins)),
    "SITE_NAME": env("MARKETPLACE_SITE_NAME", "Marketplace"),
    "SITE_URL": env("MARKETPLACE_SITE_URL"),
    "TRUSTED_PROXY_COUNT": int(env("MARKETPLACE_TRUSTED_PROXY_COUNT", "0")),
    "PAYMENT_PROVIDER": env(
        "MARKETPLACE_PAYMENT_PROVIDER", "dodo" if env("DODO_PAYMENTS_API_KEY") else "dummy"
    ),
    "STORAGE_BACKEND": env("MARKETPLACE_STORAGE_BACKEND", "s3" if env("S3_BUCKET") else "local"),
    "LOCAL_STORAGE_ROOT": str(VAR_DIR / "private-media"),
    "MAINTENANCE_MODE": env_bool("MAINTENANCE_MODE"),
    "MAINTENANCE_BYPASS_SECRET": env("MAINTENANCE_BYPASS_SECRET"),
    # The whole site is the shop: maintenance mode closes every URL, the admin's too.
    "MAINTENANCE_SCOPE": "site",
    # Without Redis there is no beat: web processes run the periodic tasks themselves.
    "PERIODIC_TASKS_IN_PROCESS": not env("REDIS_URL"),
    # Visitors buy with an email address alone (docs/guests.md); MARKETPLACE_GUEST_CHECKOUT=0: off.
    "GUEST_CHECKOUT": env_bool("MARKETPLACE_GUEST_CHECKOUT", True),
    # Outbound webhooks to http:// and to listed local addresses: tests and demos only.
    "WEBHOOKS_ALLOW_HTTP": env_bool("MARKETPLACE_WEBHOOKS_ALLOW_HTTP"),
    "WEBHOOKS_ALLOWED_ADDRESSES": env_list("MARKETPLACE_WEBHOOKS_ALLOWED_ADDRESSES"),
    "payments_dodo": {
        "API_KEY": env("DODO_PAYMENTS_API_KEY"),
        "WEBHOOK_SECRETS": env_list("DODO_PAYMENTS_WEBHOOK_SECRET"),
        "ENVIRONMENT": env("DODO_PAYMENTS_ENVIRONMENT", "test_mode"),
        "BASE_URL": env("DODO_PAYMENTS_BASE_URL") or None,
    },
    "storage_s3": {
        "BUCKET": env("S3_BUCKET"),
        "REGION": env("S3_REGION", "us-east-1"),
        "ENDPOINT_URL": env("S3_ENDPOINT_URL") or None,
        "PUBLIC_ENDPOINT_URL": env("S3_PUBLIC_ENDPOINT_URL") or None,
    },
    "notify_telegram": {
        "BOT_TOKEN": env("TELEGRAM_BOT_TOKEN"),
        "CHAT_ID": env("TELEGRAM_CHAT_ID"),
        "THREAD_ID": env("TELEGRAM_THREAD_ID") or None,
        "API_URL": env("TELEGRAM_API_URL") or None,
        "BOT_USERNAME": env("TELEGRAM_BOT_USERNAME"),  # sellers connect their own chats
        "WEBHOOK_SECRET": env("TELEGRAM_WEBHOOK_SECRET"),  # unset: updates are polled
    },
    "licenses": {
        # License keys are derived from this secret: changing it changes every key sold
        # (docs/licenses.md). Unset, the site derives one from DJANGO_SECRET_KEY, which
        # then must never be rotated either.
        "KEY_SECRET": env("LICENSE_KEY_SECRET") or f"license-keys:{SECRET_KEY}",
    },
    "analytics_ga4": {
        "PROPERTY_ID": env("GA4_PROPERTY_ID"),
        "CREDENTIALS": env("GA4_CREDENTIALS"),  # a key file's path, or its JSON
        "MEASUREMENT_ID": env("GA4_MEASUREMENT_ID"),
        "API_SECRET": env("GA4_API_SECRET"),
        "PAGE_TAG": env_bool("GA4_PAGE_TAG"),
        "REQUIRE_CONSENT": env_bool("GA4_REQUIRE_CONSENT"),
    },
}
# Options of plugins that are not enabled are dropped, so `check` stays quiet about them.
for _name in ("payments_dodo", "storage_s3", "notify_telegram", "analytics_ga4", "licenses"):
    if _name not in MARKETPLACE["PLUGINS"]:
        MARKETPLACE.pop(_name)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja's templates and static files: /api/v1/docs loads Swagger UI from the
    # site's own static files instead of a CDN (docs/api.md).
    "ninja",
    "example_site.apps.ExampleSiteConfig",
    "marketplace_core",
    *plugin_apps(MARKETPLACE["PLUGINS"]),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketplace_core.error_pages.MethodNotAllowedPageMiddleware",
    "marketplace_core.maintenance.middleware.UnderConstructionMiddleware",
    # Last: answers anonymous visitors' cached storefront pages (docs/performance.md).
    "marketplace_core.catalog.anonymous_pages.AnonymousPageMiddleware",
]
if "shorturl" in MARKETPLACE["PLUGINS"]:
    # Short links are answered right after the security headers, skipping the
    # session, auth and message work they do not need (docs/shorturl.md).
    MIDDLEWARE.insert(1, "marketplace_shorturl.middleware.ShortURLMiddleware")

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace_core.context_processors.marketplace",
            ]
        },
    }
]

# --- data --------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Kept open between requests (60 s, as PostgreSQL's): opening the file and running
    # init_command each request cost a logged-in page a third of its time, and the last
    # connection to close a WAL database checkpoints it and deletes the WAL (an fsync),
    # which made every request that wrote pay for one (docs/performance.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # Timeouts: a hung Redis must fail a cache call in a second, not hang the request
    # (pages and rate limits go on without the cache; /healthz says "degraded").
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # Sessions read from Redis (written through to the database): one query less on
    # every logged-in page. Not with the local-memory cache: a logout in one process
    # would not reach another's copy.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Tasks are acknowledged late and handed back when their worker dies: core's
# defaults (marketplace_core.celery_app), so nothing to set here.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# beat remembers when each periodic task last ran here (losing it only restarts the intervals).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

AUTH_USER_MODEL = "marketplace_core.User"
# Django's ModelBackend that loads the person's seller and account rows with the
# user: one query for both on every logged-in page (docs/performance.md).
AUTHENTICATION_BACKENDS = ["marketplace_core.people.backends.PersonModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "marketplace:login"
LOGIN_REDIRECT_URL = "marketplace:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Product images: in a public-read bucket of their own with storage_s3 (the connection is
# MARKETPLACE["storage_s3"]'s), else on the default storage under MEDIA_ROOT.
if env("S3_MEDIA_BUCKET") and env("S3_BUCKET"):
    STORAGES["marketplace_media"] = {
        "BACKEND": "marketplace_storage_s3.storage.S3MediaStorage",
        "OPTIONS": {"bucket": env("S3_MEDIA_BUCKET"), "base_url": env("S3_MEDIA_URL") or None},
    }

_SMTP = {
    "host": env("EMAIL_HOST"),
    "port": int(env("EMAIL_PORT", "587")),
    "username": env("EMAIL_HOST_USER"),
    "password": env("EMAIL_HOST_PASSWORD"),
    "use_tls": env_bool("EMAIL_USE_TLS", True),
    # Bounds a stalled SMTP exchange (core's email tasks hold a transaction meanwhile).
    "timeout": int(env("EMAIL_TIMEOUT", "30")),
}
# Without SMTP the demo prints each email and keeps a copy in var/mail/ (README).
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
_EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if _SMTP["host"]
                  else "example_site.mail.ConsoleAndFileBackend")
if django.VERSION >= (6, 1):
    # Django 6.1 replaces EMAIL_BACKEND and the EMAIL_* options with MAILERS.
    MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND,
                           "OPTIONS": _SMTP if _SMTP["host"] else {"file_path": EMAIL_FILE_PATH}}}
else:
    EMAIL_BACKEND = _EMAIL_BACKEND
    EMAIL_HOST = _SMTP["host"] or "localhost"
    EMAIL_PORT = _SMTP["port"]
    EMAIL_HOST_USER = _SMTP["username"]
    EMAIL_HOST_PASSWORD = _SMTP["password"]
    EMAIL_USE_TLS = _SMTP["use_tls"]
    EMAIL_TIMEOUT = _SMTP["timeout"]
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Marketplace <noreply@localhost>")

# --- production hardening (manage.py check --deploy is clean with DJANGO_ENV=production) --

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Health checks of load balancers and containers come over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django": {"level": "INFO"}},
}
