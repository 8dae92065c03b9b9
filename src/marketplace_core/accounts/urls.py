"""Core's own login, registration, email verification and password pages.

They are an optional set: ``marketplace_core.urls`` mounts them in the
``marketplace`` namespace, and with ``MARKETPLACE["ACCOUNT_PAGES"] = False``
every one of them answers 404, nothing in core or the plugins links to them,
and ``LOGIN_URL`` names the project's own login page (``marketplace_core.E041``
says so when it still names core's). Logging out (``marketplace:logout``) and
the profile pages are not in the set: they work with any login.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, path

from marketplace_core.accounts import email_views, password_views
from marketplace_core.accounts import views as account_views
from marketplace_core.conf import conf


def account_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """``view``, answering 404 while ``ACCOUNT_PAGES`` is off (read per request)."""

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not conf.ACCOUNT_PAGES:
            raise Http404("This site uses its own account pages.")
        return view(request, *args, **kwargs)

    return page


urlpatterns: list[URLPattern] = [
    path("accounts/login/", account_page(account_views.LoginView.as_view()), name="login"),
    path("accounts/register/", account_page(account_views.RegistrationView.as_view()),
         name="register"),
    path("accounts/register/sent/", account_page(account_views.RegistrationDoneView.as_view()),
         name="register_done"),
    path("accounts/verify-email/", account_page(email_views.SendVerifyEmailView.as_view()),
         name="send_verify_email"),
    path("accounts/verify-email/<str:token>/",
         account_page(email_views.VerifyEmailView.as_view()), name="verify_email"),
    path("accounts/password-reset/",
         account_page(password_views.CustomPasswordResetView.as_view()), name="password_reset"),
    path("accounts/password-reset/sent/",
         account_page(password_views.PasswordResetDoneView.as_view()),
         name="password_reset_done"),
    path("accounts/password-reset/<uidb64>/<token>/",
         account_page(password_views.PasswordResetConfirmView.as_view()),
         name="password_reset_confirm"),
    path("account/password/", account_page(password_views.CustomerPasswordChangeView.as_view()),
         name="customer_password_change"),
    path("seller/password/", account_page(password_views.SellerPasswordChangeView.as_view()),
         name="seller_password_change"),
]
