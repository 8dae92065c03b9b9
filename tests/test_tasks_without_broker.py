"""A site with no Celery broker (no ``CELERY_BROKER_URL``, or an empty one) needs
no Celery app: every task runs in process, after the transaction that queued it
commits; ``marketplace_core.W006`` warns about it with ``DEBUG`` off."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.checks import Warning, run_checks
from django.db import transaction

from marketplace_core.accounts.forms import Registration
from marketplace_core.accounts.services import register_customer
from marketplace_core.people.users import users_with_email
from tests.account_support import fresh_limits

__all__ = ["fresh_limits"]
W006 = "marketplace_core.W006"


@pytest.fixture
def no_broker(settings: Any) -> Iterator[None]:
    """The site's settings name no broker (an empty one) and say nothing about
    eagerness: without core's fallback the tests' Celery app would send to
    amqp://localhost and fail. (A missing setting: the subprocess test below.)"""
    settings.CELERY_BROKER_URL = ""
    del settings.CELERY_TASK_ALWAYS_EAGER
    del settings.CELERY_TASK_EAGER_PROPAGATES
    yield


def _register(email: str) -> None:
    register_customer(Registration(email=email, name="Ada", password="a-long-passphrase-93"),
                      "http://testserver")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_broker", "fresh_limits")
def test_without_a_broker_the_verification_email_is_sent_in_process_after_commit() -> None:
    with transaction.atomic():
        _register("ada@example.com")
        assert mail.outbox == []  # not before the registration has committed
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "http://testserver/accounts/verify-email/" in message.body


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_broker", "fresh_limits")
def test_without_a_broker_a_rolled_back_registration_sends_nothing() -> None:
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        _register("grace@example.com")
        raise Abandoned
    assert mail.outbox == []
    assert not users_with_email("grace@example.com").exists()


@pytest.mark.django_db
def test_a_broker_set_again_sends_tasks_to_it(settings: Any) -> None:
    """Eagerness forced for a missing broker ends when one is set."""
    from celery import current_app

    del settings.CELERY_TASK_ALWAYS_EAGER
    settings.CELERY_BROKER_URL = ""
    assert current_app.conf.task_always_eager is True
    settings.CELERY_BROKER_URL = "memory://"
    assert current_app.conf.task_always_eager is False  # Celery's default again


def test_a_project_without_a_celery_app_or_broker_runs_tasks_in_process(tmp_path: Any) -> None:
    """A fresh process with core's test settings less every ``CELERY_*`` setting and
    no Celery app module imported (Celery's own default app): a queued deletion of a
    replaced product file runs at once instead of failing to reach amqp://localhost."""
    (tmp_path / "no_broker_settings.py").write_text(textwrap.dedent("""
        from tests.settings import *  # noqa: F403
        for _name in [name for name in globals() if name.startswith("CELERY_")]:
            del globals()[_name]
    """))
    script = textwrap.dedent("""
        import django, pathlib, sys
        django.setup()
        from django.conf import settings
        from celery import current_app
        from marketplace_core.catalog.services import schedule_file_deletion
        from marketplace_core.conf import conf
        from django.test.utils import setup_databases
        setup_databases(verbosity=0, interactive=False)
        assert current_app.main == "default", current_app.main
        assert not hasattr(settings, "CELERY_BROKER_URL")
        stored = conf.LOCAL_STORAGE_ROOT / "products" / "old.zip"
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(b"old")
        schedule_file_deletion("products/old.zip", countdown=60)
        print("deleted" if not stored.exists() else "still there")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**_environ(), "MARKETPLACE_TEST_RUN_DIR": str(tmp_path),
             "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()]),
             "DJANGO_SETTINGS_MODULE": "no_broker_settings", "PYTEST_XDIST_WORKER": "nobroker"},
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "deleted", result.stderr


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}


@pytest.mark.django_db
def test_w006_no_broker_with_debug_off(settings: Any) -> None:
    settings.DEBUG = False
    settings.CELERY_BROKER_URL = ""
    [warning] = [m for m in run_checks() if m.id == W006]
    assert isinstance(warning, Warning)
    assert "No CELERY_BROKER_URL with DEBUG off" in warning.msg
    assert "CELERY_BROKER_URL" in warning.hint and "create_celery_app" in warning.hint


@pytest.mark.django_db
@pytest.mark.parametrize(("debug", "broker"), [(True, ""), (False, "redis://localhost:6379/0"),
                                               (True, "memory://")])
def test_w006_absent_in_development_or_with_a_broker(settings: Any, debug: bool,
                                                     broker: str) -> None:
    settings.DEBUG = debug
    settings.CELERY_BROKER_URL = broker
    assert [m for m in run_checks() if m.id == W006] == []
