"""What a browser that checked out without login may see: the orders it started.

A checkout without login logs nobody in (the address typed may be anyone's);
instead the session remembers the orders this browser started, and the payment
pages and the download of a paid one answer for those orders only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.conf import conf
from marketplace_core.guests.identities import buyer_for_email
from marketplace_core.guests.services import request_purchases_link

#: Session key: references of the orders this browser started without login.
SESSION_KEY = "marketplace_guest_orders"
#: How many of them a session keeps (the latest).
KEEP = 20


def guest_checkout_open(request: HttpRequest) -> bool:
    """Whether this visitor checks out as a guest (not logged in, and the site allows it)."""
    return conf.GUEST_CHECKOUT and not request.user.is_authenticated


def remember_order(request: HttpRequest, reference: UUID | str) -> None:
    started = [ref for ref in request.session.get(SESSION_KEY, []) if ref != str(reference)]
    request.session[SESSION_KEY] = [*started, str(reference)][-KEEP:]


def started_here(request: HttpRequest, reference: Any) -> bool:
    """Whether this browser started order ``reference`` without login."""
    return str(reference) in request.session.get(SESSION_KEY, [])


class OrderStartedHereMixin(LoginRequiredMixin):
    """Login required, except for a browser holding orders it started without
    login (the view still checks that the order asked for is one of them)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated and request.session.get(SESSION_KEY):
            return View.dispatch(self, request, *args, **kwargs)  # type: ignore[arg-type]
        return super().dispatch(request, *args, **kwargs)


def guest_buyer(request: HttpRequest, form: Any, product: Any) -> Any:
    """The buyer of a checkout without login (the user of the address typed,
    or a new guest), or a 429 page once this client started too many."""
    usage = RateLimit.per_address("guest_checkouts").hit(request)
    if usage.exceeded:
        form.add_error(None, _("Too many checkouts from your network. "
                               "Try again in %(minutes)s minutes.")
                       % {"minutes": minutes(usage.retry_after)})
        response = render(request, "marketplace_core/payments/checkout.html",
                          {"product": product, "form": form}, status=429)
        return too_many_requests(response, usage.retry_after)
    return buyer_for_email(form.cleaned_data["email"])


def cannot_buy_here(request: HttpRequest, form: Any, product: Any) -> HttpResponse:
    """The answer when the address typed already owns ``product`` or sells it:
    no order, and the address is sent its "My purchases" email (the page does
    not say which of the two, nor whether that address has an account)."""
    request_purchases_link(form.cleaned_data["email"], site_url(request))
    return render(request, "marketplace_core/guests/checkout_refused.html",
                  {"product": product, "email": form.cleaned_data["email"]})
