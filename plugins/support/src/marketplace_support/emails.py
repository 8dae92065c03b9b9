"""The email a buyer gets when the seller changes their request.

Templates (override them in a site): ``support/emails/status_changed_subject.txt``
and ``support/emails/status_changed.txt``. They receive the request's subject,
product, status and meeting link, never the seller's notes.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf as core_conf
from marketplace_core.people.names import short_name
from marketplace_core.people.users import email_of
from marketplace_support.models import SupportRequest
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
