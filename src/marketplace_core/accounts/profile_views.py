"""Profile pages (seed §3-§5): the name shown in the shop can change; the email
address cannot (it is shown read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView

from marketplace_core.accounts.forms import ProfileForm
from marketplace_core.conf import conf
from marketplace_core.panels.mixins import CustomerPanelMixin, PanelMixin, SellerPanelMixin
from marketplace_core.people.records import set_shop_name, shop_name


class GenericUserProfileView(LoginRequiredMixin, PanelMixin, FormView):
    """Edit the logged-in user's name in the shop; the email address is shown
    read-only. Works with any user model: the name goes to its ``name`` field
    when it has one, else to the marketplace's account row.

    Only the form's field is saved, so an ``email`` (or anything else) in a
    forged POST is ignored. Subclasses add the panel's mixin (which sets
    ``panel_area``); the password link is that panel's
    ``<area>_password_change`` page, shown while core's account pages are on.
    """

    form_class = ProfileForm
    template_name = "marketplace_core/accounts/profile.html"
    panel_nav_key = "profile"

    def get_initial(self) -> dict[str, Any]:
        return {"name": shop_name(self.request.user)}

    def get_success_url(self) -> str:
        return self.request.path

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["password_change_url"] = (
            reverse(f"marketplace:{self.panel_area}_password_change")
            if conf.ACCOUNT_PAGES else "")
        return context

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        set_shop_name(self.request.user, form.cleaned_data["name"])
        messages.success(self.request, _("Your profile has been saved."))
        return super().form_valid(form)


class CustomerProfileView(CustomerPanelMixin, GenericUserProfileView):
    pass


class SellerProfileView(SellerPanelMixin, GenericUserProfileView):
    pass
