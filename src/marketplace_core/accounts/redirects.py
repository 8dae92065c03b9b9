"""Where to send a user next: the site's login page, a safe ``next`` or their role's home page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from marketplace_core.plugins.manager import get_plugin_manager

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.people.types import User


def login_url(next_url: str | None = None) -> str:
    """``settings.LOGIN_URL`` (a URL name or path: core's page or the project's
    own), with ``?next=next_url`` the way ``LoginRequiredMixin`` builds it."""
    if next_url:
        return str(redirect_to_login(next_url).url)
    return str(resolve_url(settings.LOGIN_URL))


def home_url(user: User) -> str:
    """The landing page for ``user`` as decided by the ``resolve_home_url`` hook."""
    url = get_plugin_manager().hook.resolve_home_url(user=user)
    return url or reverse("marketplace:home")


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """``candidate`` if it stays on this site (no open redirects), else ``None``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def requested_next(request: HttpRequest) -> str | None:
    """The ``next`` of the form, else of the query string, if it stays on this site."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))
