"""Settings for core's own tests: no plugin enabled, SQLite or PostgreSQL.

The database comes from ``DATABASE_URL`` (the marketplace pytest plugin sets it
when run with ``--marketplace-db=postgres``); otherwise a SQLite file, so that
threads and server processes in tests get real, separate connections.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
# Per process, so parallel runs never share a database file or storage folder.
_RUN_DIR = Path(os.environ.get("MARKETPLACE_TEST_RUN_DIR") or tempfile.mkdtemp(prefix="mp-tests-"))
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "marketplace_core",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
_sqlite_file = str(_RUN_DIR / "test-db.sqlite3")
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
# Django 6.1 replaces EMAIL_BACKEND with MAILERS (older versions ignore it); the test
# runner turns every mailer into the locmem backend (mail.outbox) either way.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
LOGIN_URL = "marketplace:login"
MARKETPLACE = {
    "PLUGINS": [],
    "LOCAL_STORAGE_ROOT": str(_RUN_DIR / "private"),
}
