"""Account emails are sent once per task, also when the task runs twice.

A redelivered task (its worker died) or two deliveries at once must not email
twice, and a send that failed must not be remembered as sent. The real worker
killed mid-send is in ``integration/test_worker_loss.py``.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from marketplace_core.accounts.emails import send_account_email
from marketplace_core.accounts.sent_emails import RETENTION, SentEmail, send_once
from marketplace_core.accounts.tasks import send_password_reset_email, send_verification_email
from marketplace_core.testing.contracts import wait_until
from marketplace_core.testing.settings import use_email_backend

BASE = "https://shop.example"


def _reset_email(to: str) -> None:
    send_account_email("password_reset", to, {"link": f"{BASE}/reset", "base_url": BASE,
                                               "valid_minutes": 60})


@pytest.mark.django_db
def test_a_failed_send_is_not_remembered_and_the_retry_sends(settings):
    use_email_backend(settings, "smtp", host="127.0.0.1", port=9)  # nothing listens: refused
    with pytest.raises(OSError):
        send_once("task:1", lambda: _reset_email("ada@example.com"))
    assert not SentEmail.objects.exists()

    use_email_backend(settings, "locmem")
    assert send_once("task:1", lambda: _reset_email("ada@example.com")) is True
    assert send_once("task:1", lambda: _reset_email("ada@example.com")) is False
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert SentEmail.objects.get().key == "task:1"


@pytest.mark.django_db
def test_each_task_sends_its_own_email_once(make_user):
    user = make_user(email="grace@example.com")
    # The same delivery twice, as a broker redelivers it, then another task.
    assert [send_password_reset_email.apply(args=(user.email, BASE), task_id="reset-1").get()
            for _ in range(2)] == [True, False]
    assert send_password_reset_email.apply(args=(user.email, BASE), task_id="reset-2").get()
    assert len(mail.outbox) == 2
    assert sorted(SentEmail.objects.values_list("key", flat=True)) == [
        f"{send_password_reset_email.name}:reset-1", f"{send_password_reset_email.name}:reset-2",
    ]


@pytest.mark.django_db
def test_old_records_are_dropped_after_a_send(make_user):
    from django.utils import timezone

    stale = SentEmail.objects.create(key="old", sent_at=timezone.now() - RETENTION * 2)
    recent = SentEmail.objects.create(key="recent")
    assert send_once("new", lambda: _reset_email("bea@example.com"))
    assert set(SentEmail.objects.values_list("key", flat=True)) == {"recent", "new"}
    assert not SentEmail.objects.filter(pk=stale.pk).exists()
    assert SentEmail.objects.filter(pk=recent.pk).exists()


class GatedBackend(LocmemBackend):
    """Django's locmem backend whose first send waits until the test opens the gate."""

    sending = threading.Event()
    gate = threading.Event()

    def send_messages(self, messages: Any) -> int:
        if not GatedBackend.sending.is_set():
            GatedBackend.sending.set()
            assert GatedBackend.gate.wait(60), "the test never opened the gate"
        return super().send_messages(messages)


def _another_transaction_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        (waiting,) = cursor.fetchone()
    return bool(waiting)


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_send_one_email(settings, make_user, marketplace_db_vendor):
    """The second delivery waits for the first one's record instead of sending too."""
    user = make_user(email="unverified@example.com", email_verified=False)
    use_email_backend(settings, f"{__name__}.GatedBackend")
    GatedBackend.sending.clear()
    GatedBackend.gate.clear()
    results: dict[str, Any] = {}

    def deliver(name: str) -> None:
        try:
            results[name] = send_verification_email.apply(
                args=(user.pk, BASE), task_id="same-delivery").get()
        finally:
            connection.close()

    first = threading.Thread(target=deliver, args=("first",))
    second = threading.Thread(target=deliver, args=("second",))
    first.start()
    try:
        assert GatedBackend.sending.wait(30), "the first delivery never started sending"
        second.start()
        if marketplace_db_vendor == "postgresql":
            wait_until(lambda: _another_transaction_waits_for_a_lock() or not second.is_alive(),
                       timeout=30, what="the second delivery to wait or finish")
        else:  # SQLite: the second waits for the write lock; give it time to get there
            second.join(timeout=0.5)
    finally:
        GatedBackend.gate.set()
        first.join(30)
        second.join(30)

    assert results == {"first": True, "second": False}
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert SentEmail.objects.count() == 1
