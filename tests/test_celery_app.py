"""``create_celery_app`` gives every site tasks that survive a dead worker, unless
the site's settings say otherwise. (A real worker killed mid-task is in
``integration/test_worker_loss.py``.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery, current_app

from marketplace_core.accounts.tasks import send_verification_email
from marketplace_core.celery_app import VISIBILITY_TIMEOUT, create_celery_app
from marketplace_core.tasks import __all__ as core_task_names


@pytest.fixture
def fresh_app() -> Iterator[Celery]:
    """A second app built like a site's; the tests' own app is the default again after."""
    previous = current_app._get_current_object()
    app = create_celery_app("probe")
    yield app
    previous.set_default()


def test_tasks_are_acknowledged_late_and_redelivered_when_their_worker_dies():
    app = send_verification_email._get_app()
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT
    import marketplace_core.tasks as core_tasks

    for name in core_task_names:
        task = getattr(core_tasks, name)
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True), name


def test_a_site_can_change_each_default(settings, fresh_app):
    settings.CELERY_TASK_REJECT_ON_WORKER_LOST = False
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200, "socket_timeout": 5}
    assert fresh_app.conf.task_reject_on_worker_lost is False
    assert fresh_app.conf.task_acks_late is True
    assert fresh_app.conf.broker_transport_options == {"visibility_timeout": 7200,
                                                       "socket_timeout": 5}


def test_other_transport_options_keep_the_default_visibility_timeout(settings, fresh_app):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 5}
    assert fresh_app.conf.broker_transport_options == {"socket_timeout": 5,
                                                       "visibility_timeout": VISIBILITY_TIMEOUT}
