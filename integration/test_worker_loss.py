"""A worker process killed in the middle of an email task: exactly one email arrives.

The example site's Celery worker runs tasks in a prefork pool (child processes),
as deployments do, on Redis and the test database. The SMTP server holds the
verification email's delivery unanswered; the test finds the pool process whose
connection it is and kills it (SIGKILL, as the kernel's out-of-memory killer
does). Celery hands the task back to the broker (``task_reject_on_worker_lost``,
core's default), another pool process runs it again, and because the dead
process's ``SentEmail`` record died with its transaction, that run sends:
exactly one email, and no second one later.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from integration import mailbox
from integration.processes import example_site_worker
from marketplace_core.accounts.models import User
from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.workers import CeleryWorker, pid_with_connection_from

pytestmark = pytest.mark.django_db(transaction=True)
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox

BASE = "http://testserver"
EMAIL = "kai@example.com"
TASK = "marketplace_core.accounts.tasks.send_verification_email"
#: How long after the redelivered task finished a second email would have to arrive.
GRACE_SECONDS = 5.0


@pytest.fixture
def prefork_mail_worker(transactional_db: None, live_server: Any,
                        smtp_mailbox: mailbox.SmtpMailbox) -> Iterator[CeleryWorker]:
    with example_site_worker("integration.settings", pool="prefork", concurrency=2,
                             EMAIL_HOST=smtp_mailbox.host, EMAIL_PORT=str(smtp_mailbox.port),
                             EMAIL_USE_TLS="0") as worker:
        yield worker


def _task_log(worker: CeleryWorker, what: str) -> list[str]:
    """Ids of the verification tasks the worker logged as ``what``."""
    return re.findall(rf"{re.escape(TASK)}\[([0-9a-f-]+)\] {what}", worker.output())


def test_a_worker_killed_mid_send_delivers_the_email_exactly_once(
    prefork_mail_worker: CeleryWorker, smtp_mailbox: mailbox.SmtpMailbox
) -> None:
    held = smtp_mailbox.stall_next()
    client = Client()
    response = client.post("/accounts/register/", {
        "email": EMAIL, "name": "Kai", "password1": "juniper-otter-5521",
        "password2": "juniper-otter-5521",
    })
    assert response.status_code == 302

    _, client_port = held.wait(timeout=60)  # the email's data is at the server, unanswered
    pool = prefork_mail_worker.pool_pids()
    sender = pid_with_connection_from(client_port, pool)
    assert sender is not None, (client_port, pool, prefork_mail_worker.output())
    os.kill(sender, signal.SIGKILL)

    (received,) = smtp_mailbox.wait_for(EMAIL, timeout=60)
    assert received.subject == "Confirm your email address for Marketplace"
    wait_until(lambda: len(_task_log(prefork_mail_worker, "succeeded")) == 1, timeout=60,
               what="the redelivered task to finish")
    time.sleep(GRACE_SECONDS)  # room for a second email, which must not come
    assert [m.recipients for m in smtp_mailbox.received] == [(EMAIL,)]

    # One task, taken twice: by the killed process and again after it died.
    log = prefork_mail_worker.output()
    (task_id,) = _task_log(prefork_mail_worker, "succeeded")
    assert _task_log(prefork_mail_worker, "received") == [task_id, task_id], log
    assert "SIGKILL" in log
    assert list(SentEmail.objects.values_list("key", flat=True)) == [f"{TASK}:{task_id}"]

    # And the email works.
    link = received.link(BASE)
    assert client.get(link.removeprefix(BASE)).status_code == 302
    assert User.objects.get(email=EMAIL).email_verified
