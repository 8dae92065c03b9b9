"""Settings for this plugin's tests: core plus this plugin only.

Also used by the server processes some tests start (``runserver`` on the test
database): ``DATABASE_URL`` picks the database, ``REDIS_URL`` switches the
default cache to that Redis, and ``SHORTURL_PUSH_INTERVAL`` /
``SHORTURL_FLUSH_IN_WEB_PROCESS`` set the click pusher of such a process.
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
_PLUGINS = ["shorturl"]
MARKETPLACE = {
    "PLUGINS": _PLUGINS,
    "LOCAL_STORAGE_ROOT": str(_RUN_DIR / "private"),
    "shorturl": {
        # In-process tests push and flush explicitly; server processes get an interval.
        "PUSH_INTERVAL": float(os.environ.get("SHORTURL_PUSH_INTERVAL", "0")),
        "FLUSH_IN_WEB_PROCESS": os.environ.get("SHORTURL_FLUSH_IN_WEB_PROCESS", "") == "1",
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
    *plugin_apps(_PLUGINS),
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "marketplace_shorturl.middleware.ShortURLMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
# A file, not memory, so server processes started by tests share the test database.
_sqlite_file = str(_RUN_DIR / "shorturl-test-db.sqlite3")
DATABASES = {
    "default": dj_database_url.config(default="sqlite:///" + _sqlite_file, conn_max_age=0)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"].setdefault("TEST", {"NAME": _sqlite_file})
AUTH_USER_MODEL = "marketplace_core.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
LOGIN_URL = "marketplace:login"
