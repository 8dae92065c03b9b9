"""The plugin's emails: the buyer's when the seller changes their request, and
the other side's when someone writes in a request's conversation.

Templates (override them in a site): ``support/emails/status_changed_subject.txt``
and ``support/emails/status_changed.txt`` receive the request's subject,
product, status and meeting link, never the seller's notes;
``support/emails/new_message_subject.txt`` and ``new_message.txt`` receive the
request's subject and product, the author's name, an excerpt of the message and
the link to the recipient's page of the request.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.text import Truncator

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf as core_conf
from marketplace_core.people.names import display_name, short_name
from marketplace_core.people.users import email_of
from marketplace_support.models import SupportMessage, SupportRequest
from marketplace_support.status_machine import Role
from marketplace_support.urls_for import my_support_url


def send_status_email(support_request: SupportRequest, site_url: str) -> None:
    """Email the buyer the request's current status (and meeting link when set)."""
    buyer = support_request.buyer
    context = {
        "site_name": core_conf.SITE_NAME,
        "buyer_name": short_name(buyer),
        "subject": support_request.subject,
        "product_title": support_request.product.title,
        "status": support_request.get_status_display(),
        "meeting_link": support_request.meeting_link,
        "is_locked": support_request.is_locked,
        "requests_url": absolute_url(site_url, my_support_url(buyer)) if site_url else "",
    }
    subject = " ".join(
        render_to_string("support/emails/status_changed_subject.txt", context).split()
    )
    body = render_to_string("support/emails/status_changed.txt", context)
    EmailMessage(subject=subject, body=body, to=[email_of(buyer)]).send()


#: Characters of a message quoted in the email (the page has the rest).
EXCERPT_LENGTH = 600


def send_message_email(message: SupportMessage, site_url: str) -> None:
    """Email the other side of ``message``'s request an excerpt of it and a link to
    their page of the request (the buyer's page for the buyer, the seller's for
    the seller)."""
    support_request = message.support_request
    recipient_role = message.recipient_role
    recipient = (support_request.product.seller if recipient_role == Role.SELLER
                 else support_request.buyer)
    path = support_request.url_for(recipient_role)
    context = {
        "site_name": core_conf.SITE_NAME,
        "recipient_name": short_name(recipient),
        "author_name": display_name(message.author),
        "author_is_seller": message.author_role == Role.SELLER,
        "subject": support_request.subject,
        "product_title": support_request.product.title,
        "excerpt": Truncator(message.body).chars(EXCERPT_LENGTH),
        "request_url": absolute_url(site_url, path) if site_url else "",
    }
    subject = " ".join(
        render_to_string("support/emails/new_message_subject.txt", context).split()
    )
    body = render_to_string("support/emails/new_message.txt", context)
    EmailMessage(subject=subject, body=body, to=[email_of(recipient)]).send()
