"""Celery tasks that send account emails.

Each is enqueued on commit by :mod:`.services` and looks everything up again
when it runs, so they are safe to run late or twice: a verified address gets no
verification email, and each task sends its email once
(:func:`~marketplace_core.accounts.sent_emails.send_once`), also when the broker
delivers it again because its worker died. Temporary SMTP failures are retried
with backoff.
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from marketplace_core.accounts.emails import absolute_url, send_account_email
from marketplace_core.accounts.redirects import login_url
from marketplace_core.accounts.sent_emails import send_once, task_key
from marketplace_core.accounts.tokens import (
    email_verification_tokens,
    password_reset_tokens,
    reset_link_minutes,
    verification_link_hours,
)
from marketplace_core.guests.identities import is_guest
from marketplace_core.guests.tasks import claim_email
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import (
    active_users_with_email,
    email_of,
    find_by_email,
    is_active,
)

_RETRY_ON = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_verification_email(self, user_id: int, base_url: str) -> bool:  # type: ignore[no-untyped-def]
    """Email ``user_id`` a fresh verification link; ``False`` when nothing was sent."""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not is_active(user) or not email_of(user) or is_email_verified(user):
        return False
    token = email_verification_tokens.make(user)
    link = absolute_url(base_url, reverse("marketplace:verify_email", kwargs={"token": token}))
    return send_once(task_key(self.name, self.request.id), lambda: send_account_email(
        "verify_email", email_of(user), {
            "user": user, "link": link, "base_url": base_url,
            "valid_hours": verification_link_hours(),
        }))


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_password_reset_email(self, email: str, base_url: str) -> bool:  # type: ignore[no-untyped-def]
    """Email a reset link if ``email`` belongs to an active account with a password.

    The request that enqueued this did the same work whether or not the account
    exists; only this task looks it up. A guest (no password yet) is sent the
    link to choose one, which makes the guest identity a full account.
    """
    user = find_by_email(email, active=True)
    if user is not None and is_guest(user):  # no password yet: choosing one claims it
        return claim_email(user, base_url, task_key(self.name, self.request.id))
    if user is None or not user.has_usable_password():
        return False
    path = reverse("marketplace:password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": password_reset_tokens.make_token(user),
    })
    return send_once(task_key(self.name, self.request.id), lambda: send_account_email(
        "password_reset", email_of(user), {
            "user": user, "link": absolute_url(base_url, path), "base_url": base_url,
            "valid_minutes": reset_link_minutes(),
        }))


@shared_task(bind=True, acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True,
             max_retries=5)
def send_registration_attempt_email(self, email: str, base_url: str) -> bool:  # type: ignore[no-untyped-def]
    """Tell the owner of ``email`` that someone tried to register with it.

    Registration answers the same whether or not the address has an account;
    only this task looks it up. Nothing is sent to a disabled account. A guest
    (who bought without an account) is sent a link to choose a password instead.
    """
    # Any active account with the address (case-insensitive, as registration
    # decides that it is taken): the email goes to the address they share.
    user = active_users_with_email(email).first()
    if user is None:
        return False
    if is_guest(user):  # bought without an account: this makes it one
        return claim_email(user, base_url, task_key(self.name, self.request.id))
    return send_once(task_key(self.name, self.request.id), lambda: send_account_email(
        "registration_attempt", email_of(user), {
            "user": user, "base_url": base_url,
            "login_link": absolute_url(base_url, login_url()),
            "reset_link": absolute_url(base_url, reverse("marketplace:password_reset")),
        }))
