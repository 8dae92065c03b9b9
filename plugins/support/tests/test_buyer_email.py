"""The buyer hears about the seller's changes by email (a Celery task queued on
commit; the tests run it in process and read Django's locmem outbox)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from marketplace_support.models import SupportRequest
from marketplace_support.tasks import email_buyer

from marketplace_core.testing.settings import use_email_backend

pytestmark = pytest.mark.django_db


def _update(client: Any, support_request: SupportRequest, capture: Any, **data: str) -> None:
    with capture(execute=True):
        response = client.post(reverse("support:update", args=[support_request.pk]), {
            "status": support_request.status, "meeting_link": support_request.meeting_link,
            "admin_notes": support_request.admin_notes, "confirm_final": "1", **data,
        })
    assert response.status_code == 302, response.text


@pytest.mark.by_database
def test_status_change_emails_the_buyer_with_the_meeting_link(
    seller_client: Any, open_request: Any, mailoutbox: Any, buyer: Any,
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com"}
    support_request = open_request("pending", subject="Which paper?")
    _update(seller_client, support_request, django_capture_on_commit_callbacks,
            status="in_progress", meeting_link="https://meet.example.com/abc",
            admin_notes="Private: probably needs a refund.")
    [mail] = mailoutbox
    assert mail.to == [buyer.email]
    assert mail.subject == '[Marketplace] Your support request "Which paper?" is in progress'
    assert "is now: In progress." in mail.body
    assert "Join the meeting: https://meet.example.com/abc" in mail.body
    assert "https://shop.example.com/support/mine/" in mail.body
    assert "refund" not in mail.body and "refund" not in mail.subject


def test_without_a_meeting_link_the_email_says_only_the_status(
    seller_client: Any, open_request: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("in_progress")
    _update(seller_client, support_request, django_capture_on_commit_callbacks,
            status="completed")
    [mail] = mailoutbox
    assert "is now: Completed." in mail.body
    assert "meeting" not in mail.body.lower()


def test_a_new_meeting_link_is_emailed_too(seller_client: Any, open_request: Any,
                                           mailoutbox: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    support_request = open_request("in_progress", meeting_link="https://meet.example.com/old")
    _update(seller_client, support_request, django_capture_on_commit_callbacks,
            meeting_link="https://meet.example.com/new")
    [mail] = mailoutbox
    assert "Join the meeting: https://meet.example.com/new" in mail.body


def test_notes_alone_send_nothing(seller_client: Any, open_request: Any, mailoutbox: Any,
                                  listener: Any,
                                  django_capture_on_commit_callbacks: Any) -> None:
    support_request = open_request("pending")
    _update(seller_client, support_request, django_capture_on_commit_callbacks,
            admin_notes="Call back on Monday.")
    assert mailoutbox == [] and listener.events == []
    assert SupportRequest.objects.get(pk=support_request.pk).admin_notes == "Call back on Monday."


def test_buyer_actions_send_the_buyer_no_email(buyer_client: Any, open_request: Any,
                                               mailoutbox: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    support_request = open_request("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(reverse("support:complete", args=[support_request.pk]))
    assert mailoutbox == []


@pytest.mark.by_database
def test_the_email_task_sends_once_however_often_it_runs(
    seller_client: Any, open_request: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    _update(seller_client, support_request, django_capture_on_commit_callbacks,
            status="in_progress")
    support_request.refresh_from_db()
    assert len(mailoutbox) == 1
    # A redelivered task (worker died before acknowledging) sends nothing more.
    assert email_buyer(support_request.pk, support_request.version, "") is False
    assert email_buyer(support_request.pk, support_request.version - 1, "") is False
    assert len(mailoutbox) == 1


def test_a_failed_send_is_retried_and_then_sent(
    open_request: Any, mailoutbox: Any, settings: Any
) -> None:
    support_request = open_request("in_progress", version=1)
    use_email_backend(settings, "smtp", host="127.0.0.1", port=9)  # nothing listens: refused
    with pytest.raises(OSError):
        email_buyer.run(support_request.pk, 1, "")
    assert SupportRequest.objects.get(pk=support_request.pk).notified_version == 0
    use_email_backend(settings, "locmem")
    assert email_buyer.run(support_request.pk, 1, "") is True
    assert len(mailoutbox) == 1
