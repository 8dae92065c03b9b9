"""Profile pages (seed §3-§5): the name shown in the shop can change; the email
address cannot (it is shown read-only)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from marketplace_core.accounts.forms import ProfileForm
from marketplace_core.conf import conf
from marketplace_core.notifications.forms import NotificationSwitchesForm
from marketplace_core.panels.mixins import CustomerPanelMixin, PanelMixin, SellerPanelMixin
from marketplace_core.people.records import set_shop_name, shop_name
from marketplace_core.plugins.manager import call_each
from marketplace_core.plugins.types import ProfileSection

logger = logging.getLogger("marketplace_core.accounts")


def profile_sections(request: HttpRequest, area: str) -> list[ProfileSection]:
    """The plugins' ``profile_sections`` for ``area``, sorted (a failing plugin is left out)."""
    answers = call_each("profile_sections", {"request": request, "area": area}, logger=logger,
                        failing="to give profile sections")
    found = [section for sections in answers.result for section in sections or []]
    return sorted(found, key=lambda section: section.order)


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
        if self.panel_area == "seller":
            context["notifications_form"] = NotificationSwitchesForm(user=self.request.user)
        context["profile_sections"] = profile_sections(self.request, self.panel_area)
        return context

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        set_shop_name(self.request.user, form.cleaned_data["name"])
        messages.success(self.request, _("Your profile has been saved."))
        return super().form_valid(form)


class CustomerProfileView(CustomerPanelMixin, GenericUserProfileView):
    pass


class SellerProfileView(SellerPanelMixin, GenericUserProfileView):
    pass


class SellerNotificationsView(SellerPanelMixin, View):
    """Saves the seller's notification switches (the profile page's
    "Notifications" form; POST only) and returns to the profile page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NotificationSwitchesForm(request.POST, user=request.user)
        if form.is_valid():  # checkboxes: always valid
            form.save()
            messages.success(request, _("Your notification settings have been saved."))
        return HttpResponseRedirect(reverse("marketplace:seller_profile"))
