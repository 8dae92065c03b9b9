"""Settings for this plugin's tests: core plus this plugin only, SQLite or PostgreSQL.

The Dodo options here are placeholders that pass the system checks; the
``dodo`` fixture (``conftest.py``) points them at a fake Dodo server for each
test. The database comes from ``DATABASE_URL`` (set by the marketplace pytest
plugin with ``--marketplace-db=postgres``), otherwise a SQLite file, so that
live-server threads get real, separate connections.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url

from marketplace_core.plugins.loading import plugin_apps

_RUN_DIR = Path(os.environ.get("MARKETPLACE_TEST_RUN_DIR") or tempfile.mkdtemp(prefix="mp-tests-"))
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
PLUGINS = ["payments_dodo"]
MARKETPLACE = {
    "PLUGINS": PLUGINS,
    "PAYMENT_PROVIDER": "dodo",
    "LOCAL_STORAGE_ROOT": str(_RUN_DIR / "private"),
    "payments_dodo": {
        "API_KEY": "placeholder-until-the-fake-starts",
        "WEBHOOK_SECRETS": ["whsec_cGxhY2Vob2xkZXItdW50aWwtdGhlLWZha2Utc3RhcnRz"],
        "ENVIRONMENT": "test_mode",
        "BASE_URL": "http://127.0.0.1:9",
    },
}
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "marketplace_core",
    *plugin_apps(PLUGINS),
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketplace_core.maintenance.middleware.UnderConstructionMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
_sqlite_file = str(_RUN_DIR / "dodo-test-db.sqlite3")
DATABASES = {
    "default": dj_database_url.config(default="sqlite:///" + _sqlite_file, conn_max_age=0)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": _sqlite_file}
AUTH_USER_MODEL = "marketplace_core.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
MEDIA_ROOT = _RUN_DIR / "media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
LOGIN_URL = "marketplace:login"
