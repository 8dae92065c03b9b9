"""System checks for the user model and the login pages (``marketplace_core.E040``-``E044``,
``W040``-``W041``): core works with any ``AUTH_USER_MODEL``, and these say what a
given one, or the login settings, leave out.

Registered when :mod:`marketplace_core.checks` is imported (in ``AppConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, resolve

from marketplace_core.conf import DEFAULTS
from marketplace_core.people.users import NAME_FIELD, email_field_name

CORE_LOGIN = "marketplace:login"


def _user_model() -> Any | None:
    try:
        return apps.get_model(settings.AUTH_USER_MODEL, require_ready=False)
    except (LookupError, ValueError):
        return None  # Django's own auth.E* checks report a bad AUTH_USER_MODEL


def _account_pages() -> Any:
    raw = getattr(settings, "MARKETPLACE", {})
    return raw.get("ACCOUNT_PAGES", DEFAULTS["ACCOUNT_PAGES"]) if isinstance(raw, dict) else True


def _unfillable_required_fields(model: Any) -> list[str]:
    """``REQUIRED_FIELDS`` that core's registration leaves empty and the database
    would refuse (no default, no NULL, no empty string)."""
    filled = {model.USERNAME_FIELD, email_field_name(model), NAME_FIELD}
    missing = []
    for name in getattr(model, "REQUIRED_FIELDS", []):
        if name in filled:
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # Django's auth checks report it
        if field.many_to_many or field.has_default() or field.null:
            continue
        if field.empty_strings_allowed and not field.is_relation:
            continue
        missing.append(name)
    return missing


def _user_model_messages(model: Any, pages: bool) -> list[CheckMessage]:
    label = model._meta.label
    messages: list[CheckMessage] = []
    if email_field_name(model) is None:
        named = getattr(model, "get_email_field_name", lambda: "email")()
        if pages:
            messages.append(Error(
                f"Core's login, registration and password pages need an email address, "
                f"and the user model {label} has no field {named!r} "
                f"(its get_email_field_name()).",
                hint="Set EMAIL_FIELD on the user model to its email field, or set "
                     "MARKETPLACE['ACCOUNT_PAGES'] = False and LOGIN_URL to the project's "
                     "own login page.",
                id="marketplace_core.E040",
            ))
        else:
            messages.append(Warning(
                f"The user model {label} has no email field ({named!r}, from "
                f"get_email_field_name()): nobody can be emailed, so buyers get no emails "
                f"from the shop or its plugins, and checkout asks for the address.",
                hint="Set EMAIL_FIELD on the user model to the field holding the address.",
                id="marketplace_core.W040",
            ))
    if pages:
        missing = _unfillable_required_fields(model)
        if missing:
            messages.append(Error(
                f"Core's registration page cannot create users of {label}: it leaves "
                f"{', '.join(missing)} empty and they have no default.",
                hint="Give these fields a default (or null=True), or set "
                     "MARKETPLACE['ACCOUNT_PAGES'] = False and let the project register "
                     "users.",
                id="marketplace_core.E043",
            ))
    return messages


def _login_url_messages(pages: bool) -> list[CheckMessage]:
    value = settings.LOGIN_URL
    try:
        url = str(resolve_url(value))
    except NoReverseMatch:
        return [Error(
            f"LOGIN_URL is {value!r}, which names no URL, so every 'Log in' link and "
            f"login redirect fails.",
            hint="Name a URL pattern ('marketplace:login' for core's page) or give a path.",
            id="marketplace_core.E042",
        )]
    if not url.startswith("/"):
        return []  # another site (a single sign-on service): not ours to check
    try:
        match = resolve(url.split("?", 1)[0])
    except Resolver404:
        return [Warning(
            f"LOGIN_URL is {value!r} and {url!r} is no page of this site, so 'Log in' links "
            f"and login redirects lead to a 404.",
            hint="Use a URL name ('marketplace:login' for core's page, the project's own "
                 "otherwise), which follows where the URLs are mounted.",
            id="marketplace_core.W041",
        )]
    if not pages and match.view_name == CORE_LOGIN:
        return [Error(
            f"MARKETPLACE['ACCOUNT_PAGES'] is False, but LOGIN_URL ({value!r}) is core's "
            f"login page, which then answers 404.",
            hint="Set LOGIN_URL to the project's own login page (e.g. 'login' for "
                 "django.contrib.auth.urls, 'account_login' for django-allauth).",
            id="marketplace_core.E041",
        )]
    return []


@register(Tags.compatibility)
def check_people(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What the user model leaves out for the features that are on."""
    pages = _account_pages()
    if not isinstance(pages, bool):
        return [Error(
            f"MARKETPLACE['ACCOUNT_PAGES'] must be True or False; it is {pages!r}.",
            hint="False when the project has its own login and registration pages.",
            id="marketplace_core.E044",
        )]
    model = _user_model()
    return _user_model_messages(model, pages) if model is not None else []


@register(Tags.urls)
def check_login_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Where 'Log in' links and login redirects lead (needs the URLconf)."""
    pages = _account_pages()
    return _login_url_messages(pages) if isinstance(pages, bool) else []
