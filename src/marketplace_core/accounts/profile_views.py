"""Profile pages (seed §3-§5): the name can change; the email address cannot."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import UpdateView

from marketplace_core.accounts.forms import ProfileForm
from marketplace_core.accounts.models import User
from marketplace_core.panels.mixins import CustomerPanelMixin, PanelMixin, SellerPanelMixin


class GenericUserProfileView(LoginRequiredMixin, PanelMixin, UpdateView):
    """Edit the logged-in user's name; the email address is shown read-only.

    Only the form's fields are saved, so an ``email`` in a forged POST is
    ignored. Subclasses add the panel's mixin (which sets ``panel_area``); the
    password link is that panel's ``<area>_password_change`` page.
    """

    form_class = ProfileForm
    template_name = "marketplace_core/accounts/profile.html"
    panel_nav_key = "profile"

    def get_object(self, queryset: QuerySet[User] | None = None) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_success_url(self) -> str:
        return self.request.path

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["password_change_url"] = reverse(f"marketplace:{self.panel_area}_password_change")
        return context

    def form_valid(self, form: ModelForm[Any]) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your profile has been saved."))
        return response


class CustomerProfileView(CustomerPanelMixin, GenericUserProfileView):
    pass


class SellerProfileView(SellerPanelMixin, GenericUserProfileView):
    pass
