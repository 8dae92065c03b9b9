"""Log in by email (rate limited), register (and get an email either way), log out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from marketplace_core.accounts.backends import password_backend
from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.forms import EmailAuthenticationForm, RegistrationForm
from marketplace_core.accounts.redirects import home_url, requested_next
from marketplace_core.accounts.services import register_customer
from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.accounts.tokens import verification_link_hours
from marketplace_core.conf import conf
from marketplace_core.people.users import email_of, normalize_email

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Session key: the address this browser registered (and the ``next`` it asked for).
REGISTRATION_SESSION_KEY = "marketplace_registration"


class LoginView(auth_views.LoginView):
    """Email + password; then a safe ``next`` or the role's home page.

    Too many failures for one email from one address, or from one address for
    any emails, are refused with HTTP 429, ``Retry-After`` and a message
    (:class:`~marketplace_core.accounts.throttling.LoginThrottle`).
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
        if form.refusal is not None:
            return too_many_requests(response, form.refusal.retry_after)
        return response

    def get_success_url(self) -> str:
        return self.get_redirect_url() or home_url(self.request.user)  # type: ignore[arg-type]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's view names the site by its host (no django.contrib.sites):
        # the page says the configured name, as every other page does.
        return {**super().get_context_data(**kwargs), "site_name": conf.SITE_NAME}

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        """A same-site ``next`` from the form or the query string, else ``""``.

        ``request`` only keeps the signature of Django's ``RedirectURLMixin``.
        """
        return requested_next(self.request) or ""


class LogoutView(auth_views.LogoutView):
    """POST logs out (CSRF-checked), then home. GET, a typed or followed link,
    asks first: a page with the button that posts (someone logged out sees the
    same page saying so, with the way home)."""

    next_page = "marketplace:home"
    http_method_names = ["get", "post", "options"]
    template_name = "marketplace_core/accounts/logout_confirm.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return TemplateResponse(request, self.template_name, self.get_context_data())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "site_name": conf.SITE_NAME,
                "next": requested_next(self.request) or ""}


class RegistrationView(FormView):
    """Register a customer account, answering the same whether or not the address
    already has one: a valid form always leads to :class:`RegistrationDoneView`.

    A new address gets an account and a verification link; the owner of a taken
    address gets an email saying someone tried to register with it. Either way the
    password is hashed and one email is queued (by a Celery task, on commit), so
    the answer also takes about as long. Registrations are limited per client
    address (``ADDRESS_RATE_LIMITS["registrations"]``, HTTP 429 beyond).

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
        usage = RateLimit.per_address("registrations").hit(self.request)
        if usage.exceeded:
            form.add_error(None, _(
                "Too many registrations from your network. Try again in %(minutes)s minutes."
            ) % {"minutes": minutes(usage.retry_after)})
            return too_many_requests(self.form_invalid(form), usage.retry_after)
        registration = form.registration()
        # Hashes the password and queues one email, for new and taken addresses alike.
        register_customer(registration, site_url(self.request))
        self.request.session[REGISTRATION_SESSION_KEY] = {
            "email": registration.email, "next": requested_next(self.request) or "",
        }
        return HttpResponseRedirect(reverse("marketplace:register_done"))


class RegistrationDoneView(TemplateView):
    """"Check your email", naming the address this browser registered."""

    template_name = "marketplace_core/accounts/register_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        registration = self.request.session.get(REGISTRATION_SESSION_KEY) or {}
        context["email"] = registration.get("email", "")
        context["valid_hours"] = verification_link_hours()
        return context


def login_after_registration(request: HttpRequest, user: User) -> str | None:
    """Log ``user`` in if this browser registered the address; the page to go to then.

    Used when a verification link is followed: in the browser that registered it
    proves the address and finishes the registration. Elsewhere (another browser,
    a forwarded link) ``None``: the link then only verifies the address.
    """
    registration = request.session.get(REGISTRATION_SESSION_KEY) or {}
    registered = normalize_email(registration.get("email"))
    if request.user.is_authenticated or not registered or registered != normalize_email(
            email_of(user)):
        return None
    next_url = registration.get("next") or home_url(user)
    del request.session[REGISTRATION_SESSION_KEY]
    login(request, user, backend=password_backend())
    return str(next_url)
