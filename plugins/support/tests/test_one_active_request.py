"""At most one active (pending or in progress) request per purchase: the database
decides, so neither a second form nor two racing submissions can make two."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse
from marketplace_support import services
from marketplace_support.models import SupportRequest

pytestmark = pytest.mark.by_database


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["pending", "in_progress"])
@pytest.mark.parametrize("second", ["pending", "in_progress"])
def test_the_database_refuses_a_second_active_request(open_request: Any, first: str,
                                                      second: str) -> None:
    open_request(first)
    with pytest.raises(IntegrityError), transaction.atomic():
        open_request(second)
    assert SupportRequest.objects.count() == 1


@pytest.mark.django_db
def test_finished_requests_leave_room_for_a_new_one(open_request: Any) -> None:
    open_request("completed")
    open_request("cancelled")
    open_request("pending")
    assert SupportRequest.objects.active().count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_plain_http_meeting_link(open_request: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        open_request("pending", meeting_link="http://meet.example.com/abc")


@pytest.mark.django_db
def test_create_page_sends_the_buyer_to_the_open_request(buyer_client: Any, purchase: Any,
                                                         open_request: Any) -> None:
    existing = open_request("in_progress")
    url = reverse("support:create", args=[purchase.pk])
    for response in (buyer_client.get(url, follow=True),
                     buyer_client.post(url, {"subject": "Again", "message": "Hello?"},
                                       follow=True)):
        assert response.redirect_chain[-1][0] == (
            f"{reverse('support:my_requests')}#support-request-{existing.pk}")
        assert "You already have an open support request for this product." in response.text
    assert SupportRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_create_one_request(buyer: Any, purchase: Any,
                                                   listener: Any) -> None:
    """Eight submissions at the same moment, each on its own connection: one wins."""
    attempts = 8
    barrier = threading.Barrier(attempts)

    def submit(i: int) -> str:
        try:
            barrier.wait(timeout=10)
            services.open_request(buyer=buyer, purchase=purchase, subject=f"Help {i}",
                                  message="The file does not open.")
            return "created"
        except services.AlreadyActive:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(submit, range(attempts)))
    close_old_connections()
    assert sorted(results) == ["created"] + ["refused"] * (attempts - 1)
    created = SupportRequest.objects.get(purchase=purchase)
    assert created.status == "pending"
    assert listener.events == [("created", created.pk, "", "pending")]
