"""The plugin's pages (mounted under ``/telegram/``): connect and disconnect a
seller's chat from their profile, and the bot's webhook.

- ``POST connect/``: a fresh single-use link (:mod:`.linking`), then a redirect
  to ``https://t.me/<bot>?start=<token>``; at most :data:`CONNECT_LIMIT` per
  person and hour.
- ``POST disconnect/``: the person's chat stops getting notifications.
- ``POST webhook/``: Telegram's updates (``setWebhook`` with ``secret_token``).
  The ``X-Telegram-Bot-Api-Secret-Token`` header must equal ``WEBHOOK_SECRET``
  (compared in constant time): otherwise 403 with a JSON body and nothing is
  read; a client address refused :data:`WEBHOOK_REFUSALS` times a minute gets
  429 until the minute ends. Without ``WEBHOOK_SECRET`` the endpoint is 404.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from marketplace_core.accounts.mixins import SellerRequiredMixin
from marketplace_core.accounts.throttling import RateLimit
from marketplace_notify_telegram import linking
from marketplace_notify_telegram.conf import conf
from marketplace_notify_telegram.updates import handle_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: "Connect Telegram" presses per person and hour.
CONNECT_LIMIT = RateLimit("notify_telegram.connect", 10, 3600)
#: Webhook requests with a wrong secret per client address and minute.
WEBHOOK_REFUSALS = RateLimit("notify_telegram.webhook_refusals", 20, 60)


def _profile() -> str:
    return reverse("marketplace:seller_profile")


class ConnectView(SellerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not conf.personal_chats:
            messages.error(request, "Telegram is not set up on this site.")
            return HttpResponseRedirect(_profile())
        if CONNECT_LIMIT.usage(f"user:{request.user.pk}", increment=True).exceeded:
            messages.error(request, "Too many Telegram links were made for you in the last "
                                    "hour; try again later.")
            return HttpResponseRedirect(_profile())
        return HttpResponseRedirect(linking.deep_link(linking.new_token(request.user)))


class DisconnectView(SellerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if linking.disconnect(request.user):
            messages.success(request, "Telegram is disconnected: your notifications no "
                                      "longer go there.")
        return HttpResponseRedirect(_profile())


def _refuse(status: int, error: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": error}, status=status)


@csrf_exempt  # Telegram cannot send a CSRF token: the secret header stands in for it
def webhook(request: HttpRequest) -> HttpResponse:
    """One update from Telegram (see the module docstring)."""
    if not (conf.WEBHOOK_SECRET and conf.BOT_TOKEN):
        return _refuse(404, "The Telegram webhook is not configured on this site.")
    if request.method != "POST":
        return _refuse(405, "Only POST.")
    if WEBHOOK_REFUSALS.peek(request).exhausted:
        response = _refuse(429, "Too many refused requests; try again later.")
        response["Retry-After"] = "60"
        return response
    given = request.headers.get(SECRET_HEADER, "")
    if not constant_time_compare(given, conf.WEBHOOK_SECRET):
        WEBHOOK_REFUSALS.hit(request)
        return _refuse(403, f"Wrong or missing {SECRET_HEADER} header.")
    try:
        update = json.loads(request.body)
    except ValueError:
        return _refuse(400, "The body is not JSON.")
    if not isinstance(update, dict):
        return _refuse(400, "The body is not a Telegram Update object.")
    return JsonResponse({"ok": True, "outcome": handle_update(update)})
