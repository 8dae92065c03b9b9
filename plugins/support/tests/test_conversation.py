"""The conversation of a support request: buyer and seller write to each other on
their pages of the request, and the other side is emailed each message once.

Who may open which page (including the message URLs) is in ``test_permissions.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from marketplace_support.models import SupportMessage, SupportRequest
from marketplace_support.tasks import email_message

from marketplace_core.testing.settings import use_email_backend
from tests.helpers import buy

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"


@pytest.fixture
def site_url(settings: Any) -> str:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": SITE}
    return SITE


def buyer_page(support_request: SupportRequest) -> str:
    return reverse("support:detail", args=[support_request.pk])


def seller_page(support_request: SupportRequest) -> str:
    return reverse("support:update", args=[support_request.pk])


def write(client: Client, support_request: SupportRequest, role: str, body: str,
          capture: Any) -> Any:
    """POST ``body`` to the message form of ``role``'s page, running on-commit work."""
    name = "support:buyer_message" if role == "buyer" else "support:seller_message"
    with capture(execute=True):
        return client.post(reverse(name, args=[support_request.pk]), {"body": body})


def thread_texts(html: str) -> list[str]:
    """Each message of the page's conversation as text: author line and body."""
    items = re.findall(r'<li class="support-message[^"]*".*?</li>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_both_sides_see_the_thread_oldest_first_starting_with_the_request(
    buyer_client: Client, seller_client: Client, open_request: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending", message="The zip will not open.")
    write(buyer_client, support_request, "buyer", "Any news?", django_capture_on_commit_callbacks)
    write(seller_client, support_request, "seller", "Try 7-Zip.",
          django_capture_on_commit_callbacks)

    for client, page in ((buyer_client, buyer_page), (seller_client, seller_page)):
        response = client.get(page(support_request))
        assert response.status_code == 200
        texts = thread_texts(response.text)
        assert len(texts) == 3
        assert texts[0].startswith("Bea Buyer buyer ·") and "The zip will not open." in texts[0]
        assert texts[1].startswith("Bea Buyer buyer ·") and texts[1].endswith("Any news?")
        assert texts[2].startswith("Sam Seller seller ·") and texts[2].endswith("Try 7-Zip.")
        assert 'name="body"' in response.text  # the form, below the thread
        assert response.text.index("Try 7-Zip.") < response.text.index('name="body"')


def test_a_message_is_text_escaped_with_its_line_breaks(
    buyer_client: Client, seller_client: Client, open_request: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    write(buyer_client, support_request, "buyer", "First line\n<script>alert(1)</script>",
          django_capture_on_commit_callbacks)
    page = seller_client.get(seller_page(support_request)).text
    assert "First line<br>&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert SupportMessage.objects.get().body == "First line\n<script>alert(1)</script>"


def test_line_breaks_sent_as_crlf_are_kept_as_one_newline(
    buyer_client: Client, open_request: Any, django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    write(buyer_client, support_request, "buyer", "  One\r\nTwo\rThree\n  ",
          django_capture_on_commit_callbacks)
    assert SupportMessage.objects.get().body == "One\nTwo\nThree"


def test_a_sent_message_leads_back_to_the_page_at_it(
    buyer_client: Client, seller_client: Client, open_request: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("in_progress")
    response = write(buyer_client, support_request, "buyer", "Hello",
                     django_capture_on_commit_callbacks)
    first = SupportMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{buyer_page(support_request)}#message-{first.pk}"
    followed = buyer_client.get(response["Location"])
    assert "Message sent." in followed.text and f'id="message-{first.pk}"' in followed.text

    response = write(seller_client, support_request, "seller", "Hi",
                     django_capture_on_commit_callbacks)
    second = SupportMessage.objects.latest("pk")
    assert response["Location"] == f"{seller_page(support_request)}#message-{second.pk}"
    assert (second.author_role, first.author_role) == ("seller", "buyer")


def test_the_buyer_reaches_the_page_from_their_list(
    buyer_client: Client, open_request: Any
) -> None:
    support_request = open_request("pending", subject="Which paper?")
    listing = buyer_client.get(reverse("support:my_requests")).text
    assert f'href="{buyer_page(support_request)}"' in listing


@pytest.mark.parametrize("body, error", [
    ("", "Write a message first."),
    ("   \n  ", "Write a message first."),
    ("x" * 5001, "Ensure this value has at most 5000 characters (it has 5001)."),
])
def test_empty_or_too_long_text_is_a_form_error(
    buyer_client: Client, open_request: Any, mailoutbox: Any, body: str, error: str,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    response = write(buyer_client, support_request, "buyer", body,
                     django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.text.count(error) == 1
    assert SupportMessage.objects.count() == 0 and mailoutbox == []


def test_another_buyer_of_the_same_product_gets_404(
    make_user: Any, login: Any, product: Any, open_request: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    other = make_user(name="Olga Other")
    buy(other, product)
    client = login(other)
    assert client.get(buyer_page(support_request)).status_code == 404
    assert write(client, support_request, "buyer", "Hi",
                 django_capture_on_commit_callbacks).status_code == 404
    assert SupportMessage.objects.count() == 0


def test_another_seller_gets_404(
    make_seller: Any, login: Any, open_request: Any, django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    client = login(make_seller(name="Otto Other"))
    assert client.get(seller_page(support_request)).status_code == 404
    assert write(client, support_request, "seller", "Hi",
                 django_capture_on_commit_callbacks).status_code == 404
    assert SupportMessage.objects.count() == 0


def test_anonymous_is_sent_to_log_in(open_request: Any) -> None:
    support_request = open_request("pending")
    for name in ("support:detail", "support:buyer_message", "support:seller_message"):
        target = reverse(name, args=[support_request.pk])
        response = Client().post(target, {"body": "Hi"})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('marketplace:login')}?next={target}"
    assert SupportMessage.objects.count() == 0


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_locked_request_takes_no_message(
    buyer_client: Client, seller_client: Client, open_request: Any, mailoutbox: Any,
    listener: Any, status: str, django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request(status)
    for client, role, page in ((buyer_client, "buyer", buyer_page),
                               (seller_client, "seller", seller_page)):
        shown = client.get(page(support_request)).text
        assert 'name="body"' not in shown
        assert f"This request is {status}: the conversation is closed." in shown

        response = write(client, support_request, role, "Still there?",
                         django_capture_on_commit_callbacks)
        assert response.status_code == 409
        assert (f"This support request is {status}: it takes no new messages."
                in response.text)
    assert SupportMessage.objects.count() == 0
    assert mailoutbox == [] and listener.events == []


def test_a_request_locked_while_the_page_was_open_refuses_the_message(
    buyer_client: Client, seller_client: Client, open_request: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("in_progress")
    assert 'name="body"' in seller_client.get(seller_page(support_request)).text
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(reverse("support:complete", args=[support_request.pk]))
    response = write(seller_client, support_request, "seller", "One more thing",
                     django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert "it takes no new messages" in response.text
    assert SupportMessage.objects.count() == 0


@pytest.mark.by_database
@pytest.mark.parametrize("author, recipient, page", [
    ("buyer", "seller", seller_page), ("seller", "buyer", buyer_page),
])
def test_a_message_emails_the_other_side_a_link_to_their_own_page(
    login: Any, buyer: Any, seller: Any, open_request: Any, mailoutbox: Any, site_url: str,
    author: str, recipient: str, page: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people = {"buyer": buyer, "seller": seller}
    support_request = open_request("in_progress", subject="Which paper?",
                                   admin_notes="Private: wants a refund.")
    write(login(people[author]), support_request, author, "Cold-pressed?\nThanks!",
          django_capture_on_commit_callbacks)
    [sent] = mailoutbox
    assert sent.to == [people[recipient].email]
    assert sent.subject == '[Marketplace] New message about "Which paper?"'
    name = {"buyer": "Bea Buyer", "seller": "Sam Seller"}[author]
    assert f"{name} (the {author}) wrote" in sent.body
    assert "Cold-pressed?\nThanks!" in sent.body
    link = f"{site_url}{page(support_request)}"
    assert f"Read and answer it here: {link}\n" in sent.body
    assert "refund" not in sent.body  # the seller's notes stay the seller's
    shown = login(people[recipient]).get(link.removeprefix(site_url))
    assert shown.status_code == 200 and "Cold-pressed?" in shown.text


def test_a_long_message_is_quoted_in_part(
    buyer_client: Client, open_request: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    write(buyer_client, support_request, "buyer", "word " * 1000,
          django_capture_on_commit_callbacks)
    [sent] = mailoutbox
    assert "word word" in sent.body and "…" in sent.body
    assert len(sent.body) < 1000


@pytest.mark.by_database
def test_each_message_is_emailed_once_however_often_the_task_runs(
    buyer_client: Client, seller_client: Client, open_request: Any, mailoutbox: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    write(buyer_client, support_request, "buyer", "One", django_capture_on_commit_callbacks)
    write(seller_client, support_request, "seller", "Two", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    for message in SupportMessage.objects.all():
        # A redelivered task (the worker died before acknowledging) sends nothing more.
        assert email_message(message.pk, "") is False
        assert email_message.run(message.pk, "") is False
    assert len(mailoutbox) == 2


def test_a_failed_send_is_retried_and_then_sent(
    buyer: Any, open_request: Any, mailoutbox: Any, settings: Any
) -> None:
    support_request = open_request("pending")
    message = SupportMessage.objects.create(support_request=support_request, author=buyer,
                                            author_role="buyer", body="Hello?")
    use_email_backend(settings, "smtp", host="127.0.0.1", port=9)  # nothing listens: refused
    with pytest.raises(OSError):
        email_message.run(message.pk, "")
    assert SupportMessage.objects.get(pk=message.pk).emailed_at is None
    use_email_backend(settings, "locmem")
    assert email_message.run(message.pk, "") is True
    assert len(mail.outbox) == 1


def test_support_message_posted_fires_after_commit(
    buyer_client: Client, open_request: Any, listener: Any,
    django_capture_on_commit_callbacks: Any
) -> None:
    support_request = open_request("pending")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        buyer_client.post(reverse("support:buyer_message", args=[support_request.pk]),
                          {"body": "Hello"})
    assert listener.events == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert listener.events == [("message_posted", support_request.pk, "buyer", "Hello")]


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_too_many_messages_are_refused_with_429(
    buyer_client: Client, seller_client: Client, open_request: Any, mailoutbox: Any,
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "support": {"MESSAGE_RATE_LIMIT": "2/10m"}}
    support_request = open_request("pending")
    for text in ("One", "Two"):
        assert write(buyer_client, support_request, "buyer", text,
                     django_capture_on_commit_callbacks).status_code == 302
    response = write(buyer_client, support_request, "buyer", "Three",
                     django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "You sent many messages in a short time. Try again in" in response.text
    assert ">\nThree</textarea>" in response.text  # the text is kept for later
    assert list(SupportMessage.objects.values_list("body", flat=True)) == ["One", "Two"]
    assert len(mailoutbox) == 2
    # The limit is the writer's: the seller still answers.
    assert write(seller_client, support_request, "seller", "Got them",
                 django_capture_on_commit_callbacks).status_code == 302


def test_the_pages_make_the_same_queries_however_long_the_thread(
    buyer_client: Client, seller_client: Client, open_request: Any, buyer: Any, seller: Any,
    django_assert_max_num_queries: Any
) -> None:
    support_request = open_request("in_progress")
    for index in range(12):
        SupportMessage.objects.create(
            support_request=support_request, author=buyer if index % 2 else seller,
            author_role="buyer" if index % 2 else "seller", body=f"Message {index}")
    for client, page in ((buyer_client, buyer_page), (seller_client, seller_page)):
        client.get(page(support_request))  # sessions and caches warm
        with django_assert_max_num_queries(4):
            response = client.get(page(support_request))
        assert len(thread_texts(response.text)) == 13


def test_the_meeting_link_error_is_shown_once(
    seller_client: Client, open_request: Any
) -> None:
    support_request = open_request("pending")
    response = seller_client.post(seller_page(support_request), {
        "status": "pending", "meeting_link": "not a link", "admin_notes": ""})
    assert response.status_code == 200
    assert response.text.count("Enter a meeting link that starts with https://.") == 1
    assert "Enter a valid URL." not in response.text
    for link in ("http://meet.example.com/a", "javascript:alert(1)"):
        response = seller_client.post(seller_page(support_request), {
            "status": "pending", "meeting_link": link, "admin_notes": ""})
        assert response.text.count("Enter a meeting link that starts with https://.") == 1
    assert SupportRequest.objects.get(pk=support_request.pk).meeting_link == ""


def test_the_admin_shows_the_conversation_read_only(
    make_user: Any, login: Any, buyer: Any, open_request: Any
) -> None:
    support_request = open_request("pending")
    SupportMessage.objects.create(support_request=support_request, author=buyer,
                                  author_role="buyer", body="Shown in the admin")
    staff = login(make_user(email="staff@example.com", is_staff=True, is_superuser=True))
    page = staff.get(reverse("admin:support_supportrequest_change", args=[support_request.pk]))
    assert page.status_code == 200
    assert "Shown in the admin" in page.text
    assert 'name="messages-0-body"' not in page.text  # shown, not editable


@pytest.mark.parametrize("status, buttons", [
    ("pending", ["cancel"]), ("in_progress", ["complete"]), ("completed", []),
])
def test_the_buyers_page_offers_what_the_status_machine_allows(
    buyer_client: Client, open_request: Any, status: str, buttons: list[str]
) -> None:
    page = buyer_client.get(buyer_page(open_request(status))).text
    assert re.findall(r'data-action="(cancel|complete)"', page) == buttons
