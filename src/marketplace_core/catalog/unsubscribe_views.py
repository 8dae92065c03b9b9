"""``/updates/unsubscribe/<token>/``: stop a seller's new-version emails, without login.

The token (:func:`~marketplace_core.catalog.version_emails.unsubscribe_token`)
is signed and names the buyer and the seller. GET shows a button (mail
scanners that follow links change nothing); POST records the opt-out and
confirms it. POST needs no CSRF token: the signed token is the authority,
the action only ever stops emails, and mail clients' one-click unsubscribe
(RFC 8058) posts without one. A tampered token is 404. Each client address
may open :data:`PER_ADDRESS` links an hour (the token is a signed secret:
nobody gets to try many); more are answered 429 with ``Retry-After``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.catalog.version_emails import read_unsubscribe_token, unsubscribe
from marketplace_core.people.names import display_name

TEMPLATE = "marketplace_core/catalog/unsubscribe.html"
#: Unsubscribe pages (GET or POST) one client address may open per hour.
PER_ADDRESS = RateLimit("marketplace.catalog.unsubscribe", 30, 3600)


@method_decorator(csrf_exempt, name="dispatch")
class VersionEmailUnsubscribeView(View):
    """Confirm, then record, that a buyer wants no more update emails from a seller."""

    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        usage = PER_ADDRESS.hit(request)
        if usage.exceeded:
            response = render(request, TEMPLATE, {"too_many": minutes(usage.retry_after)})
            return too_many_requests(response, usage.retry_after)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[return-value]

    def _people(self, token: str) -> tuple[int, int, str]:
        ids = read_unsubscribe_token(token)
        if ids is None:
            raise Http404("Invalid unsubscribe link.")
        buyer_id, seller_id = ids
        seller = get_user_model()._default_manager.filter(pk=seller_id).first()
        if seller is None:
            raise Http404("Invalid unsubscribe link.")
        return buyer_id, seller_id, display_name(seller)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        _, _, seller_name = self._people(token)
        return render(request, TEMPLATE, {"seller_name": seller_name, "done": False})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        buyer_id, seller_id, seller_name = self._people(token)
        unsubscribe(buyer_id, seller_id)
        return render(request, TEMPLATE, {"seller_name": seller_name, "done": True})
