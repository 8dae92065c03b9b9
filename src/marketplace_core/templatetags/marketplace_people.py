"""Template helpers for people, for any user model (``{% load marketplace_people %}``).

- ``{{ user|display_name }}``, ``{{ user|short_name }}``, ``{{ user|email_address }}``
- ``{% if user|is_seller %}``, ``{% if user|email_verified %}``,
  ``{% if user|needs_email_verification %}`` (the banner)
- ``{% login_url %}`` / ``{% login_url request.get_full_path %}``: the site's
  ``LOGIN_URL`` (core's page or the project's own), with ``?next=``.
- ``{% guest_checkout_open as open %}``: whether visitors may buy without an account.
"""

from __future__ import annotations

from typing import Any

from django import template

from marketplace_core.accounts.redirects import login_url as _login_url
from marketplace_core.conf import conf
from marketplace_core.people import names, records, users
from marketplace_core.roles import is_seller as _is_seller

register = template.Library()


@register.filter
def display_name(user: Any) -> str:
    return names.display_name(user)


@register.filter
def short_name(user: Any) -> str:
    return names.short_name(user)


@register.filter
def email_address(user: Any) -> str:
    return users.email_of(user)


@register.filter
def is_seller(user: Any) -> bool:
    return _is_seller(user)


@register.filter
def email_verified(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and records.is_email_verified(user)


@register.filter
def needs_email_verification(user: Any) -> bool:
    """Whether to ask ``user`` to verify: logged in, with an address not yet
    proved, on a site that uses core's verification pages."""
    return (conf.ACCOUNT_PAGES and bool(getattr(user, "is_authenticated", False))
            and bool(users.email_of(user)) and not records.is_email_verified(user))


@register.simple_tag
def login_url(next_url: str | None = None) -> str:
    return _login_url(next_url)


@register.simple_tag
def guest_checkout_open() -> bool:
    """``{% guest_checkout_open as name %}``: whether visitors may buy without
    logging in (``MARKETPLACE["GUEST_CHECKOUT"]``)."""
    return conf.GUEST_CHECKOUT
