"""Telling a buyer that earlier guest purchases joined their account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import ngettext


def attached_text(count: int) -> str:
    return ngettext(
        "%(count)d earlier purchase made with this address is now in your account.",
        "%(count)d earlier purchases made with this address are now in your account.",
        count,
    ) % {"count": count}


def tell_attached(request: HttpRequest, count: int) -> None:
    """A message on the next page when ``count`` purchases joined the account."""
    if count:
        messages.success(request, attached_text(count))
