"""A worker process killed in the middle of an email task: exactly one email arrives.

The example site's Celery worker runs tasks in a prefork pool (child processes),
as deployments do, on Redis and the test database. The SMTP server holds the
email's delivery unanswered; the test finds the pool process whose connection
it is and kills it (SIGKILL, as the kernel's out-of-memory killer does). Celery
hands the task back to the broker (``task_reject_on_worker_lost``, core's
default), another pool process runs it again, and because what the dead process
had claimed (core's ``SentEmail`` record, the support request's
``notified_version``) died with its transaction, that run sends: exactly one
email, and no second one later. Two tasks: core's verification email and the
support plugin's email to the buyer.
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
from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.notifications.preferences import NotificationPreference
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import find_by_email
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.factories import buy, make_product, make_seller, make_user
from marketplace_core.testing.workers import CeleryWorker, pid_with_connection_from

pytestmark = pytest.mark.django_db(transaction=True)
fresh_cache = mailbox.fresh_cache
smtp_mailbox = mailbox.smtp_mailbox

BASE = "http://testserver"
VERIFY_TASK = "marketplace_core.accounts.tasks.send_verification_email"
SUPPORT_TASK = "support.email_buyer"
#: How long after the redelivered task finished a second email would have to arrive.
GRACE_SECONDS = 5.0


@pytest.fixture
def prefork_mail_worker(transactional_db: None, live_server: Any,
                        smtp_mailbox: mailbox.SmtpMailbox) -> Iterator[CeleryWorker]:
    with example_site_worker("integration.settings", pool="prefork", concurrency=2,
                             EMAIL_HOST=smtp_mailbox.host, EMAIL_PORT=str(smtp_mailbox.port),
                             EMAIL_USE_TLS="0") as worker:
        yield worker


def _task_log(worker: CeleryWorker, task: str, what: str) -> list[str]:
    """Ids of the runs of ``task`` the worker logged as ``what``."""
    return re.findall(rf"{re.escape(task)}\[([0-9a-f-]+)\] {what}", worker.output())


def _kill_the_sender(worker: CeleryWorker, held: mailbox.StalledDelivery) -> None:
    """SIGKILL the pool process whose email the mailbox holds."""
    _, client_port = held.wait(timeout=60)  # the email's data is at the server, unanswered
    pool = worker.pool_pids()
    sender = pid_with_connection_from(client_port, pool)
    assert sender is not None, (client_port, pool, worker.output())
    os.kill(sender, signal.SIGKILL)


def _exactly_one_email(worker: CeleryWorker, smtp_mailbox: mailbox.SmtpMailbox, task: str,
                       recipient: str) -> tuple[mailbox.ReceivedEmail, str]:
    """The one email to ``recipient``, once the task ran again to the end and no second
    email came within the grace period; also the task's id."""
    (received,) = smtp_mailbox.wait_for(recipient, timeout=60)
    wait_until(lambda: len(_task_log(worker, task, "succeeded")) == 1, timeout=60,
               what="the redelivered task to finish")
    time.sleep(GRACE_SECONDS)  # room for a second email, which must not come
    assert [m.recipients for m in smtp_mailbox.received] == [(recipient,)]
    # One task, taken twice: by the killed process and again after it died.
    (task_id,) = _task_log(worker, task, "succeeded")
    assert _task_log(worker, task, "received") == [task_id, task_id], worker.output()
    assert "SIGKILL" in worker.output()
    return received, task_id


def test_a_worker_killed_mid_send_delivers_the_verification_email_exactly_once(
    prefork_mail_worker: CeleryWorker, smtp_mailbox: mailbox.SmtpMailbox
) -> None:
    held = smtp_mailbox.stall_next()
    client = Client()
    response = client.post("/accounts/register/", {
        "email": "kai@example.com", "name": "Kai", "password1": "juniper-otter-5521",
        "password2": "juniper-otter-5521",
    })
    assert response.status_code == 302
    _kill_the_sender(prefork_mail_worker, held)

    received, task_id = _exactly_one_email(prefork_mail_worker, smtp_mailbox, VERIFY_TASK,
                                           "kai@example.com")
    assert received.subject == "Confirm your email address for Marketplace"
    assert list(SentEmail.objects.values_list("key", flat=True)) == [f"{VERIFY_TASK}:{task_id}"]
    # And the email works.
    link = received.link(BASE)
    assert client.get(link.removeprefix(BASE)).status_code == 302
    assert is_email_verified(find_by_email("kai@example.com"))


def test_a_worker_killed_mid_send_delivers_the_support_email_exactly_once(
    prefork_mail_worker: CeleryWorker, smtp_mailbox: mailbox.SmtpMailbox
) -> None:
    from marketplace_support.models import SupportRequest
    from marketplace_support.tasks import email_buyer

    buyer = make_user(email="bea@example.com", name="Bea")
    seller = make_seller()
    # The buyer's email only: the seller's "New sale" email must not take the stalled send.
    NotificationPreference.objects.create(user=seller, event="sale", channel="email",
                                          enabled=False)
    purchase = buy(buyer, make_product(seller=seller, title="Field Recorder Guide"))
    support_request = SupportRequest.objects.create(
        purchase=purchase, subject="Which recorder?", message="Which one do you use?",
        status="in_progress", version=1,
    )
    held = smtp_mailbox.stall_next()
    email_buyer.delay(support_request.pk, 1, BASE)
    _kill_the_sender(prefork_mail_worker, held)

    received, _ = _exactly_one_email(prefork_mail_worker, smtp_mailbox, SUPPORT_TASK,
                                     "bea@example.com")
    assert received.subject == \
        '[Marketplace] Your support request "Which recorder?" is in progress'
    assert SupportRequest.objects.get(pk=support_request.pk).notified_version == 1
