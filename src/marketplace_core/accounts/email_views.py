"""Email verification (seed §2): ask for a link, and follow it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.redirects import home_url
from marketplace_core.accounts.services import (
    VerificationRequest,
    confirm_email,
    request_verification_email,
)
from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.accounts.tokens import TokenStatus, verification_link_hours
from marketplace_core.accounts.views import login_after_registration
from marketplace_core.guests.messages import tell_attached
from marketplace_core.people.records import is_email_verified
from marketplace_core.people.users import email_of


class SendVerifyEmailView(LoginRequiredMixin, TemplateView):
    """GET: the address and whether it is verified. POST: email a new link.

    No email goes to a verified address, and a new one is refused within
    ``ACCOUNT_EMAIL_COOLDOWN`` seconds of the last (the page says when to retry).
    The email is sent by a Celery task enqueued on commit. Requests are also
    limited per client address (``ADDRESS_RATE_LIMITS["verification_emails"]``):
    beyond, this page answers HTTP 429 with ``Retry-After``.
    """

    template_name = "marketplace_core/accounts/verify_email_send.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["valid_hours"] = verification_link_hours()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not is_email_verified(user):
            usage = RateLimit.per_address("verification_emails").hit(request)
            if usage.exceeded:
                messages.error(request, _(
                    "Too many emails were asked for from your network. "
                    "Try again in %(minutes)s minutes."
                ) % {"minutes": minutes(usage.retry_after)})
                return too_many_requests(self.get(request), usage.retry_after)
        outcome = request_verification_email(user, site_url(request))  # type: ignore[arg-type]
        if outcome.result is VerificationRequest.NO_ADDRESS:
            messages.error(request, _("Your account has no email address to verify."))
            return HttpResponseRedirect(home_url(user))  # type: ignore[arg-type]
        if outcome.result is VerificationRequest.ALREADY_VERIFIED:
            messages.info(request, _("Your email address is already verified."))
            return HttpResponseRedirect(home_url(user))  # type: ignore[arg-type]
        if outcome.result is VerificationRequest.TOO_SOON:
            wait = minutes(outcome.retry_after)
            messages.warning(request, ngettext(
                "We sent you a link a moment ago. Check your inbox and spam folder, or ask "
                "for a new one in %(minutes)d minute.",
                "We sent you a link a moment ago. Check your inbox and spam folder, or ask "
                "for a new one in %(minutes)d minutes.",
                wait,
            ) % {"minutes": wait})
        else:
            messages.success(request, _("We sent a new link to %(email)s.")
                             % {"email": email_of(user)})
        return HttpResponseRedirect(reverse("marketplace:send_verify_email"))


class VerifyEmailView(View):
    """Follow a verification link.

    Valid: the address is marked verified. In the browser that registered the
    address the user is logged in and sent on (the ``next`` they registered with,
    or their role's home page); elsewhere to their home page, through login when
    not logged in. Tampered, expired or already used: a page (HTTP 400) saying
    which, offering a new email.
    """

    invalid_template_name = "marketplace_core/accounts/verify_email_invalid.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        check = confirm_email(token)
        if check.status is TokenStatus.VALID and check.user is not None:
            next_url = login_after_registration(request, check.user) or home_url(check.user)
            messages.success(request, _("Thank you: %(email)s is verified.")
                             % {"email": check.email})
            tell_attached(request, check.attached)
            return HttpResponseRedirect(next_url)
        return render(request, self.invalid_template_name, {
            "reason": check.status.value,
            "valid_hours": verification_link_hours(),
        }, status=400)
