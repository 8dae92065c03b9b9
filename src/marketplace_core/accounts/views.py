"""Log in by email, register, log out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.views.generic import FormView

from marketplace_core.accounts.forms import EmailAuthenticationForm, RegistrationForm
from marketplace_core.accounts.redirects import home_url, safe_next


class LoginView(auth_views.LoginView):
    """Email + password; then a safe ``next`` or the role's home page."""

    form_class = EmailAuthenticationForm
    template_name = "marketplace_core/accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        return self.get_redirect_url() or home_url(self.request.user)  # type: ignore[arg-type]

    def get_redirect_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next")
        return safe_next(self.request, candidate) or ""


class LogoutView(auth_views.LogoutView):
    next_page = "marketplace:home"


class RegistrationView(FormView):
    """Create a customer account and log it in."""

    form_class = RegistrationForm
    template_name = "marketplace_core/accounts/register.html"

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = safe_next(self.request, self.request.POST.get("next")) or home_url(user)
        return HttpResponseRedirect(target)
