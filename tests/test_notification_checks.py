"""``marketplace_core.W004``: notification channels with eager Celery tasks and ``DEBUG`` off.

With ``CELERY_TASK_ALWAYS_EAGER`` (no broker) core's notification task runs
inside the request that queued it, after that request's transaction commits:
fine in development, a slow page and lost retries in production. Checks are
run the way ``manage.py check`` runs them (``run_checks()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import Warning, run_checks
from django.test.utils import override_settings

from tests.webhook_channel import NAME, OTHER_NAME, installed_webhook_channel

# run_checks() may open the connection (Django 6.1 checks every database by default).
pytestmark = pytest.mark.django_db
W004 = "marketplace_core.W004"


def w004() -> list[Any]:
    return [message for message in run_checks() if message.id == W004]


@pytest.fixture
def channels(settings: Any) -> Iterator[None]:
    """The two test webhook channels registered (as a notification plugin would)."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, NAME: {"URL": "http://127.0.0.1:9/hook"}}
    with installed_webhook_channel():
        yield


def test_w004_channels_with_eager_tasks_and_debug_off(channels: None) -> None:
    with override_settings(DEBUG=False, CELERY_TASK_ALWAYS_EAGER=True):
        [warning] = w004()
    assert isinstance(warning, Warning)
    assert f"({NAME}, {OTHER_NAME})" in warning.msg
    assert "sent inside the request" in warning.msg
    assert "CELERY_BROKER_URL" in warning.hint


@pytest.mark.parametrize(("debug", "eager"), [(True, True), (False, False), (True, False)])
def test_w004_absent_in_development_or_with_a_broker(channels: None, debug: bool,
                                                     eager: bool) -> None:
    with override_settings(DEBUG=debug, CELERY_TASK_ALWAYS_EAGER=eager):
        assert w004() == []


def test_w004_absent_without_notification_channels() -> None:
    """Core alone registers no channel: eager tasks notify nobody."""
    with override_settings(DEBUG=False, CELERY_TASK_ALWAYS_EAGER=True):
        assert w004() == []
