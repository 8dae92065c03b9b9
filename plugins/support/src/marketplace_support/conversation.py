"""The conversation of a support request, as both of its pages show it.

A thread is the request's own message (the buyer's, first) followed by the
messages written since, oldest first. Writing one goes through
:func:`marketplace_support.services.post_message`; this module holds what the
buyer's and the seller's views share around it: the rate limit, the refusals
and the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace_core.accounts.emails import site_url
from marketplace_core.accounts.throttling import RateLimit, minutes, too_many_requests
from marketplace_core.people.records import person_related
from marketplace_core.people.types import User
from marketplace_support import services
from marketplace_support.conf import conf
from marketplace_support.forms import MessageForm
from marketplace_support.models import SupportRequest
from marketplace_support.status_machine import Role, TransitionRefused


@dataclass(frozen=True)
class Entry:
    """One message as the pages show it; ``pk`` is ``None`` for the request's own."""

    pk: int | None
    author: Any
    author_role: str
    body: str
    created_at: datetime


def thread(support_request: SupportRequest) -> list[Entry]:
    """The request's message, then every message written since, oldest first.

    One query (the messages with their authors' names); the request must come
    with ``purchase__buyer``.
    """
    opening = Entry(None, support_request.buyer, Role.BUYER, support_request.message,
                    support_request.created_at)
    later = support_request.messages.select_related(*person_related("author"))
    return [opening, *(Entry(m.pk, m.author, m.author_role, m.body, m.created_at)
                       for m in later)]


def message_limit() -> RateLimit:
    """``MESSAGE_RATE_LIMIT`` messages per user and window (each one sends an email)."""
    count, period = conf.MESSAGE_RATE_LIMIT
    return RateLimit("support.messages", count, period)


#: Renders a request's page: (request, bound message form, HTTP status, refusal text).
PageRenderer = Callable[[SupportRequest, MessageForm, int, str], HttpResponse]


def post(request: HttpRequest, support_request: SupportRequest, role: Role,
         render_page: PageRenderer) -> HttpResponse:
    """Handle the message form of ``support_request``'s page for ``role``.

    The caller found the request through ``request.user`` in that role. Invalid
    text redraws the page with the form's errors (200); a locked request is a
    409 and too many messages a 429 (with ``Retry-After``): both keep the text
    in the form and save nothing. A sent message leads back to the page, at it.
    """
    form = MessageForm(request.POST)
    if support_request.is_locked:
        return render_page(support_request, form, 409, services.locked_message(support_request))
    if not form.is_valid():
        return render_page(support_request, form, 200, "")
    usage = message_limit().usage(f"user:{request.user.pk}", increment=True)
    if usage.exceeded:
        wait = minutes(usage.retry_after)
        form.add_error(None, ngettext(
            "You sent many messages in a short time. Try again in %(minutes)d minute.",
            "You sent many messages in a short time. Try again in %(minutes)d minutes.",
            wait) % {"minutes": wait})
        return too_many_requests(render_page(support_request, form, 429, ""),
                                 usage.retry_after)
    try:
        message = services.post_message(
            author=cast(User, request.user), role=role, support_request_id=support_request.pk,
            body=form.cleaned_data["body"], site_url=site_url(request),
        )
    except TransitionRefused as exc:  # locked meanwhile (the other side closed it)
        support_request.refresh_from_db(fields=["status"])
        return render_page(support_request, form, 409, exc.message)
    messages.success(request, _("Message sent."))
    return redirect(message.get_absolute_url())
