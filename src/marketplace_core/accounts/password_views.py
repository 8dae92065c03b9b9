"""Password reset by email and password change (seed §2, §3-§5).

- Reset: the form answers the same whether or not the address has an account; a
  Celery task emails the link; the link works once and expires after
  ``PASSWORD_RESET_TTL`` seconds (an hour at most). Setting the new password ends
  every session of the account (Django's session hash changes with it), marks the
  address verified (the link proved it) and lifts any login lock.
  A guest (who bought without an account, :mod:`marketplace_core.guests`) gets
  the same link to choose a first password: that makes the guest a full account,
  logged in on My Products, told how many purchases it holds.
- Change: needs the old password; afterwards the user is logged out of every
  session, this one included, and told so on the login page. Wrong old
  passwords count against the account like failed logins
  (``LOGIN_FAILURE_LIMIT`` per ``LOGIN_FAILURE_WINDOW``): beyond, the form
  answers HTTP 429 without checking, so a stolen session cannot guess it.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from marketplace_core.accounts.backends import password_backend
from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.forms import (
    PasswordChangeForm,
    PasswordResetRequestForm,
    SetPasswordForm,
)
from marketplace_core.accounts.redirects import login_url
from marketplace_core.accounts.services import request_password_reset
from marketplace_core.accounts.throttling import (
    LoginThrottle,
    RateLimit,
    minutes,
    too_many_requests,
)
from marketplace_core.accounts.tokens import password_reset_tokens, reset_link_minutes
from marketplace_core.conf import conf
from marketplace_core.guests.attach import attach_guest_purchases
from marketplace_core.guests.identities import claim_identity, is_guest
from marketplace_core.guests.messages import tell_attached
from marketplace_core.panels.mixins import CustomerPanelMixin, PanelMixin, SellerPanelMixin
from marketplace_core.panels.redirects import purchases_url
from marketplace_core.people.records import mark_email_verified
from marketplace_core.people.users import email_of


class CustomPasswordResetView(FormView):
    """Ask for a reset link by email address.

    Requests are limited per client address (``ADDRESS_RATE_LIMITS["password_resets"]``):
    beyond, the form answers HTTP 429 with ``Retry-After``, whatever the address.
    """

    form_class = PasswordResetRequestForm
    template_name = "marketplace_core/accounts/password_reset_form.html"
    success_url = reverse_lazy("marketplace:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:
        usage = RateLimit.per_address("password_resets").hit(self.request)
        if usage.exceeded:
            form.add_error(None, _(
                "Too many reset links were asked for from your network. "
                "Try again in %(minutes)s minutes."
            ) % {"minutes": minutes(usage.retry_after)})
            return too_many_requests(self.form_invalid(form), usage.retry_after)
        request_password_reset(form.cleaned_data["email"], site_url(self.request))
        return super().form_valid(form)


class PasswordResetDoneView(TemplateView):
    """The same answer for every address."""

    template_name = "marketplace_core/accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["valid_minutes"] = reset_link_minutes()
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Follow a reset link and choose a new password (Django's validators apply).

    Django's view moves the token from the URL into the session before showing
    the form, so it never leaks through the Referer header.
    """

    form_class = SetPasswordForm
    token_generator = password_reset_tokens
    template_name = "marketplace_core/accounts/password_reset_confirm.html"
    post_reset_login = False

    def get_success_url(self) -> str:
        return login_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = getattr(self, "user", None)
        context["guest"] = user is not None and is_guest(user)
        return context

    def form_valid(self, form: auth_forms.SetPasswordForm) -> HttpResponse:
        user = form.user
        guest = is_guest(user)
        response = super().form_valid(form)
        mark_email_verified(user)  # the link reached this address
        LoginThrottle.unlock_account(email_of(user))
        if guest:  # the guest chose a password: the same row is now a full account
            count = claim_identity(user)
            login(self.request, user, backend=password_backend())
            messages.success(self.request, _("Your account is ready."))
            tell_attached(self.request, count)
            return HttpResponseRedirect(purchases_url(user))
        tell_attached(self.request, attach_guest_purchases(user, email_of(user)))
        messages.success(self.request, _(
            "Your password has been changed and every session of your account has ended. "
            "Log in with the new password."
        ))
        return response


class GenericPasswordChangeView(PanelMixin, auth_views.PasswordChangeView):
    """Change the password (the old one is required), then log out everywhere.

    The other sessions end because Django ties each session to the password
    hash; this one is ended explicitly (no ``update_session_auth_hash``).
    Subclasses add the panel's mixin, which sets ``panel_area``; the profile
    link is that panel's ``<area>_profile`` page.
    """

    form_class = PasswordChangeForm
    template_name = "marketplace_core/accounts/password_change.html"
    panel_nav_key = "password"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["profile_url"] = reverse(f"marketplace:{self.panel_area}_profile")
        return context

    @staticmethod
    def wrong_old_passwords() -> RateLimit:
        return RateLimit("marketplace.password_change", conf.LOGIN_FAILURE_LIMIT,
                         conf.LOGIN_FAILURE_WINDOW)

    def _key(self) -> str:
        return str(self.request.user.pk)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and is_guest(request.user):
            # No old password to give: the reset page emails the link to choose a first one.
            messages.info(request, _("You have no password yet. We can email you a link to "
                                     "choose one."))
            return HttpResponseRedirect(reverse("marketplace:password_reset"))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = self.wrong_old_passwords().usage(self._key(), increment=False)
        if usage.exhausted:
            # An unbound form: the old password is not checked at all.
            form = self.get_form_class()(user=cast(Any, request.user))  # panels need a login
            form.cleaned_data = {}  # add_error() expects it; nothing was cleaned
            form.add_error(None, _(
                "Too many wrong passwords. Try again in %(minutes)s minutes."
            ) % {"minutes": minutes(usage.retry_after)})
            return too_many_requests(self.render_to_response(self.get_context_data(form=form)),
                                     usage.retry_after)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        if "old_password" in form.errors:
            self.wrong_old_passwords().usage(self._key(), increment=True)
        return super().form_invalid(form)

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        form.save()
        logout(self.request)
        # Added after logout() so that the new, anonymous session carries it.
        messages.success(self.request, _(
            "Your password has been changed and you have been logged out everywhere. "
            "Log in with the new password."
        ))
        return HttpResponseRedirect(login_url())


class CustomerPasswordChangeView(CustomerPanelMixin, GenericPasswordChangeView):
    pass


class SellerPasswordChangeView(SellerPanelMixin, GenericPasswordChangeView):
    pass
