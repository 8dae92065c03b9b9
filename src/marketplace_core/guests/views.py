"""Pages for guests: ask for a "My purchases" link, follow it, download a
purchase made in this browser.

- ``GET/POST /account/purchases/access/``: an email address in, always the
  same answer ("if this address has purchases, we sent a link"). Limited per
  client address (``ADDRESS_RATE_LIMITS["purchase_links"]``, 429 beyond) and
  per address asked for (:data:`.services.PER_EMAIL`, silently).
- ``GET /account/purchases/access/<token>/``: a page with one button; its POST
  logs the guest in (once) and lands on My Products. Mail scanners that open
  links do not use the link up. Used or expired: a page offering a fresh one.
- ``GET /payments/orders/<reference>/download/``: the file of a paid order
  this browser started without login.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.accounts.tokens import TokenStatus
from marketplace_core.guests.checkout import started_here
from marketplace_core.guests.forms import PurchasesLinkForm
from marketplace_core.guests.links import check_token, lifetime_minutes, log_guest_in
from marketplace_core.guests.services import request_purchases_link
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.storage.views import download_redirect


class PurchasesLinkRequestView(FormView):
    form_class = PurchasesLinkForm
    template_name = "marketplace_core/guests/access.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(valid_minutes=lifetime_minutes(), **kwargs)

    def form_valid(self, form: PurchasesLinkForm) -> HttpResponse:
        usage = RateLimit.per_address("purchase_links").hit(self.request)
        if usage.exceeded:
            form.add_error(None, _(
                "Too many links were asked for from your network. "
                "Try again in %(minutes)s minutes."
            ) % {"minutes": minutes(usage.retry_after)})
            return too_many_requests(self.form_invalid(form), usage.retry_after)
        request_purchases_link(form.cleaned_data["email"], site_url(self.request))
        return HttpResponseRedirect(reverse("marketplace:guest_purchases_sent"))


class PurchasesLinkSentView(TemplateView):
    template_name = "marketplace_core/guests/access_sent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(valid_minutes=lifetime_minutes(), **kwargs)


class PurchasesLoginView(View):
    template_name = "marketplace_core/guests/login_link.html"

    def _unusable(self, request: HttpRequest, status: TokenStatus) -> HttpResponse:
        return render(request, self.template_name, {
            "reason": status.value, "form": PurchasesLinkForm(),
            "valid_minutes": lifetime_minutes(),
        }, status=400 if status is TokenStatus.INVALID else 410)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        check = check_token(token)
        if check.status is not TokenStatus.VALID:
            return self._unusable(request, check.status)
        return render(request, self.template_name, {"reason": "valid", "email": check.email})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        if log_guest_in(request, token) is None:
            return self._unusable(request, check_token(token).status)
        messages.success(request, _("Welcome back: here are your purchases."))
        return HttpResponseRedirect(reverse("marketplace:my_products"))


class GuestOrderDownloadView(View):
    """The file of paid order ``reference``, for the browser that started it
    without login; 404 for any other browser (no login is involved)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, reference: Any) -> HttpResponse:
        if not started_here(request, reference):
            raise Http404("No download available.")
        purchase = (PurchasedProduct.objects.active().select_related("product")
                    .filter(order__reference=reference, order__status=Order.Status.PAID)
                    .first())
        return download_redirect(request, purchase)
