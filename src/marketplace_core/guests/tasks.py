"""Celery tasks that email guests: the "My purchases" link and the claim link.

Queued on commit by :mod:`.services` (and by the account tasks); each looks the
address up when it runs, so the request that queued it did the same work for
every address. Each sends its email once (:func:`~marketplace_core.accounts.
sent_emails.send_once`), also when its task is delivered twice.
"""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from marketplace_core.accounts.emails import absolute_url, send_account_email
from marketplace_core.accounts.redirects import login_url
from marketplace_core.accounts.sent_emails import send_once, task_key
from marketplace_core.accounts.tokens import password_reset_tokens, reset_link_minutes
from marketplace_core.guests.identities import is_guest
from marketplace_core.guests.links import lifetime_minutes, link_path
from marketplace_core.people.users import active_users_with_email, email_of

_RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)


def claim_email(user: Any, base_url: str, key: str | None) -> bool:
    """Email guest ``user`` a link to choose a password, which makes the guest
    identity a full account that keeps its purchases (the password-reset page:
    the link proves the address; no typed password ever travels in a link)."""
    path = reverse("marketplace:password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": password_reset_tokens.make_token(user),
    })
    return send_once(key, lambda: send_account_email("guest_claim", email_of(user), {
        "user": user, "link": absolute_url(base_url, path), "base_url": base_url,
        "valid_minutes": reset_link_minutes(),
    }))


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_purchases_link(self, email: str, base_url: str) -> bool:  # type: ignore[no-untyped-def]
    """Email the owner of ``email`` a way to their purchases: a guest a login
    link to My Products, a full account a reminder to log in (or reset its
    password). Nothing to an address without a user; ``False`` then."""
    user = active_users_with_email(email).order_by("pk").first()
    if user is None:
        return False
    key = task_key(self.name, self.request.id)
    if is_guest(user):
        link = absolute_url(base_url, link_path(user))
        return send_once(key, lambda: send_account_email("guest_purchases_link", email_of(user), {
            "user": user, "link": link, "base_url": base_url,
            "valid_minutes": lifetime_minutes(),
        }))
    return send_once(key, lambda: send_account_email("purchases_sign_in", email_of(user), {
        "user": user, "base_url": base_url,
        "login_link": absolute_url(base_url, login_url(reverse("marketplace:my_products"))),
        "reset_link": absolute_url(base_url, reverse("marketplace:password_reset")),
    }))
