"""Settings for this plugin's tests: core plus this plugin only.

Also the settings of the Celery worker some tests start (``tests.worker_app``):
``CELERY_BROKER_URL`` points it at a real broker (tasks are not eager then),
and ``TEST_TELEGRAM_*`` variables configure the plugin to talk to the fake Bot API.
The test process sets neither and configures the plugin per test.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url

from marketplace_core.plugins.loading import plugin_apps

_RUN_DIR = Path(os.environ.get("MARKETPLACE_TEST_RUN_DIR") or tempfile.mkdtemp(prefix="mp-tests-"))
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
MARKETPLACE: dict[str, Any] = {
    "PLUGINS": ["notify_telegram"],
    "LOCAL_STORAGE_ROOT": str(_RUN_DIR / "private"),
}
if os.environ.get("TEST_TELEGRAM_BOT_TOKEN"):
    MARKETPLACE["notify_telegram"] = {
        "BOT_TOKEN": os.environ["TEST_TELEGRAM_BOT_TOKEN"],
        "CHAT_ID": os.environ.get("TEST_TELEGRAM_CHAT_ID", ""),
        "API_URL": os.environ.get("TEST_TELEGRAM_API_URL") or None,
        "RETRY_BACKOFF": float(os.environ.get("TEST_TELEGRAM_RETRY_BACKOFF", "2")),
        "MAX_RETRIES": int(os.environ.get("TEST_TELEGRAM_MAX_RETRIES", "5")),
    }
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "marketplace_core",
    *plugin_apps(MARKETPLACE["PLUGINS"]),
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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
DATABASES = {
    "default": dj_database_url.config(
        default="sqlite:///" + str(_RUN_DIR / "test-db.sqlite3"), conn_max_age=0
    )
}
AUTH_USER_MODEL = "marketplace_core.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
LOGIN_URL = "marketplace:login"
