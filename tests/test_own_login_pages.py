"""Auth is the project's choice: with MARKETPLACE["ACCOUNT_PAGES"] off, core's own
account pages are gone and every "Log in" link and redirect follows LOGIN_URL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from marketplace_core.testing.factories import DEFAULT_PASSWORD, logged_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_own_auth")]

CORE_ACCOUNT_PAGES = [
    "/accounts/login/", "/accounts/register/", "/accounts/register/sent/",
    "/accounts/verify-email/", "/accounts/verify-email/some-token/",
    "/accounts/password-reset/", "/accounts/password-reset/sent/",
    "/accounts/password-reset/MQ/set-password/", "/account/password/", "/seller/password/",
]


@pytest.fixture(autouse=True)
def own_pages(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "ACCOUNT_PAGES": False}
    settings.LOGIN_URL = "login"


@pytest.mark.parametrize("path", CORE_ACCOUNT_PAGES)
def test_core_account_pages_answer_404(make_seller, path: str) -> None:
    assert Client().get(path).status_code == 404
    assert logged_in(make_seller()).get(path).status_code == 404


def test_log_in_links_go_to_the_projects_page(make_product) -> None:
    product = make_product()
    html = Client().get(product.get_absolute_url()).content.decode()
    assert f'href="/login/?next={product.get_absolute_url()}" data-action="login"' in html
    assert '<a href="/login/">Log in</a>' in html
    assert "/accounts/register/" not in html and "Register" not in html


@pytest.mark.parametrize("path", ["/seller/", "/account/products/", "/account/profile/"])
def test_login_redirects_go_to_the_projects_page(path: str) -> None:
    response = Client().get(path)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")


def test_checkout_sends_anonymous_buyers_to_the_projects_page(make_product) -> None:
    product = make_product()
    response = Client().get(f"/products/{product.slug}/buy/")
    assert response["Location"] == f"/login/?next=/products/{product.slug}/buy/"


def test_the_projects_login_then_the_shop_works(make_user, make_product) -> None:
    """Log in through the project's page (its own form and field), then buy."""
    buyer = make_user(email="bea@example.com")
    product = make_product()
    client = Client()
    response = client.post(f"/login/?next=/products/{product.slug}/buy/",
                           {"username": buyer.get_username(), "password": DEFAULT_PASSWORD})
    assert response["Location"] == f"/products/{product.slug}/buy/"
    assert client.get(f"/products/{product.slug}/buy/").status_code == 200
    assert client.get("/account/products/").status_code == 200


def test_nothing_asks_to_verify_through_pages_that_are_gone(make_user, make_seller) -> None:
    unverified = make_user(email_verified=False)
    client = logged_in(unverified)
    home = client.get("/account/products/").content.decode()
    assert "Please confirm your email address" not in home
    assert 'data-nav="password"' not in home  # core's password page is gone too
    profile = client.get("/account/profile/").content.decode()
    assert "email-status" not in profile and "Change your password" not in profile
    assert 'name="name"' in profile  # the shop name can still change
    seller_profile = logged_in(make_seller()).get("/seller/profile/").content.decode()
    assert 'data-nav="password"' not in seller_profile


def test_logging_out_still_works(make_user) -> None:
    client = logged_in(make_user())
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/products/")["Location"] == "/login/?next=/account/products/"
