"""Django settings for test suites: core plus the plugins under test.

A plugin's ``tests/settings.py`` needs only a few lines::

    from marketplace_core.testing.settings import settings_for_tests

    globals().update(settings_for_tests(plugins=["support"], name="support"))
    MARKETPLACE["support"] = {"PAGE_SIZE": 10}

What you get, and why:

- The database is ``DATABASE_URL`` when set (the marketplace pytest plugin sets
  it for ``--marketplace-db=postgres``), otherwise a SQLite *file* in the run's
  folder: threads and server processes started by tests then have real,
  separate connections. SQLite runs in WAL mode with ``IMMEDIATE``
  transactions, so concurrent writers queue instead of failing.
- The run's folder is ``MARKETPLACE_TEST_RUN_DIR`` (set by the pytest plugin
  and inherited by subprocesses) or a fresh temporary folder.
- ``REDIS_URL`` switches the cache to that Redis (``--marketplace-redis``);
  otherwise a local-memory cache.
- Celery runs tasks in process unless ``CELERY_BROKER_URL`` names a broker.
- Email goes to ``django.core.mail.outbox``; passwords hash fast (MD5).

Import-safe before Django is configured (it only builds a dict).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dj_database_url

from marketplace_core.plugins.loading import plugin_apps


def run_dir() -> Path:
    """The folder for this test run's database file and product files."""
    folder = os.environ.get("MARKETPLACE_TEST_RUN_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="mp-tests-")
        # Subprocesses (servers, workers) started later find the same folder.
        os.environ["MARKETPLACE_TEST_RUN_DIR"] = folder
    return Path(folder)


def database(sqlite_file: Path) -> dict[str, Any]:
    """``DATABASE_URL``, or ``sqlite_file`` set up for concurrent tests."""
    config: dict[str, Any] = dict(
        dj_database_url.config(default=f"sqlite:///{sqlite_file}", conn_max_age=0)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["TEST"] = {"NAME": str(sqlite_file)}
    return config


def settings_for_tests(*, plugins: Sequence[str] = (), name: str = "core",
                  root_urlconf: str = "tests.urls") -> dict[str, Any]:
    """Settings for a test suite of core with ``plugins`` enabled.

    ``name`` keeps the SQLite file of one suite apart from another's in a
    shared run folder. Returns a new dict each call; change it freely.
    """
    folder = run_dir()
    # pytest-xdist workers share the run folder; files are kept apart per worker (the
    # servers and workers a test starts inherit PYTEST_XDIST_WORKER, so they agree).
    files = folder / os.environ.get("PYTEST_XDIST_WORKER", "main")
    broker = os.environ.get("CELERY_BROKER_URL", "memory://")
    redis_url = os.environ.get("REDIS_URL")
    return {
        "SECRET_KEY": "tests-only-not-secret",
        "DEBUG": False,
        "ALLOWED_HOSTS": ["*"],
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django_htmx",
            "marketplace_core",
            *plugin_apps(plugins),
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "django_htmx.middleware.HtmxMiddleware",
            "marketplace_core.error_pages.MethodNotAllowedPageMiddleware",
            "marketplace_core.maintenance.middleware.UnderConstructionMiddleware",
            "marketplace_core.catalog.anonymous_pages.AnonymousPageMiddleware",
        ],
        "ROOT_URLCONF": root_urlconf,
        "TEMPLATES": [
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
        ],
        "DATABASES": {"default": database(folder / f"{name}-test-db.sqlite3")},
        "AUTH_USER_MODEL": "marketplace_core.User",
        "AUTHENTICATION_BACKENDS": ["marketplace_core.people.backends.PersonModelBackend"],
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "STATIC_URL": "/static/",
        "MEDIA_ROOT": files / "media",
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": redis_url}
            if redis_url
            else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        },
        # Django 6.1 replaces EMAIL_BACKEND with MAILERS (older versions ignore it);
        # the test runner turns every mailer into the locmem backend either way.
        "MAILERS": {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}},
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": broker == "memory://",
        "CELERY_TASK_EAGER_PROPAGATES": True,
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "LOGIN_URL": "marketplace:login",
        "MARKETPLACE": {"PLUGINS": list(plugins), "LOCAL_STORAGE_ROOT": str(files / "private")},
    }


def use_email_backend(settings: Any, backend: str, **options: Any) -> None:
    """Switch the default email backend of the ``settings`` fixture for one test.

    ``backend`` is one of Django's (``"smtp"``, ``"locmem"``...) or a dotted path;
    ``options`` are its options (``host``, ``port``...). Django 6.1 reads
    ``MAILERS``; earlier versions ``EMAIL_BACKEND`` and ``EMAIL_<OPTION>``.
    """
    import django

    path = backend if "." in backend else f"django.core.mail.backends.{backend}.EmailBackend"
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": path, "OPTIONS": options}}
        return
    settings.EMAIL_BACKEND = path
    for name, value in options.items():
        setattr(settings, f"EMAIL_{name.upper()}", value)
