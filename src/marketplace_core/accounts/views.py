"""Log in by email (throttled), register (and get a verification email), log out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.generic import FormView

from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.forms import EmailAuthenticationForm, RegistrationForm
from marketplace_core.accounts.redirects import home_url, requested_next
from marketplace_core.accounts.services import request_verification_email


def _password_backend() -> str:
    """The configured backend to record in the session of a fresh account.

    It must be one of ``AUTHENTICATION_BACKENDS``, or the session would not
    authenticate on the next request; prefer one that checks passwords.
    """
    paths = list(settings.AUTHENTICATION_BACKENDS)
    for path in paths:
        if issubclass(import_string(path), ModelBackend):
            return path
    return paths[0]


class LoginView(auth_views.LoginView):
    """Email + password; then a safe ``next`` or the role's home page.

    Too many failures for one email from one address are refused with HTTP 429
    and a message (:class:`~marketplace_core.accounts.throttling.LoginThrottle`).
    """

    form_class = EmailAuthenticationForm
    template_name = "marketplace_core/accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        if form.throttle is not None:
            form.throttle.reset()
        return super().form_valid(form)

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.was_throttled:
            response.status_code = 429
        return response

    def get_success_url(self) -> str:
        return self.get_redirect_url() or home_url(self.request.user)  # type: ignore[arg-type]

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        """A same-site ``next`` from the form or the query string, else ``""``.

        ``request`` only keeps the signature of Django's ``RedirectURLMixin``.
        """
        return requested_next(self.request) or ""


class LogoutView(auth_views.LogoutView):
    next_page = "marketplace:home"


class RegistrationView(FormView):
    """Create a customer account, log it in, email a verification link (by a
    Celery task, on commit), then a safe ``next`` or its home page.

    Logged-in users are sent to their home page instead of a second account.
    """

    form_class = RegistrationForm
    template_name = "marketplace_core/accounts/register.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return HttpResponseRedirect(home_url(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = requested_next(self.request) or ""
        return context

    def form_valid(self, form: RegistrationForm) -> HttpResponse:
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            # Another request registered the same address since the form checked it.
            form.add_error("email", form.duplicate_email_message)
            return self.form_invalid(form)
        login(self.request, user, backend=_password_backend())
        request_verification_email(user, site_url(self.request))
        messages.success(
            self.request,
            _("Welcome! We sent a link to %(email)s: follow it to confirm your address.")
            % {"email": user.email},
        )
        return HttpResponseRedirect(requested_next(self.request) or home_url(user))
