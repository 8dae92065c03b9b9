"""The checks that replace "AUTH_USER_MODEL must be core's": each says what a user
model or the login settings leave out (marketplace_core.E040-E044, W040-W041)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.checks import run_checks
from django.db import models
from django.test import override_settings

from marketplace_core.people import checks

pytestmark = pytest.mark.django_db


class NoEmail(AbstractBaseUser):
    """A user model with a login name and no email field at all."""

    handle = models.CharField(max_length=40, unique=True)
    USERNAME_FIELD = "handle"

    class Meta:
        abstract = True


class NeedsBirthYear(AbstractBaseUser):
    """A user model whose REQUIRED_FIELDS include one registration cannot fill."""

    email = models.EmailField(unique=True)
    birth_year = models.PositiveSmallIntegerField()
    nickname = models.CharField(max_length=20)  # text: an empty string is a value
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["birth_year", "nickname"]

    class Meta:
        abstract = True


def _ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_the_configured_user_models_need_nothing() -> None:
    """Core's User and the test suite's Member (username login, email field) both fit."""
    assert [m for m in run_checks() if m.id.startswith("marketplace_core.E04")] == []
    assert [m for m in run_checks() if m.id in ("marketplace_core.W040",
                                                "marketplace_core.W041")] == []


def test_e040_core_pages_need_an_email_field() -> None:
    [error] = checks._user_model_messages(NoEmail, pages=True)
    assert error.id == "marketplace_core.E040"
    assert "has no field 'email'" in error.msg
    assert "ACCOUNT_PAGES" in error.hint and "EMAIL_FIELD" in error.hint


def test_w040_without_core_pages_nobody_can_be_emailed() -> None:
    [warning] = checks._user_model_messages(NoEmail, pages=False)
    assert warning.id == "marketplace_core.W040"
    assert "nobody can be emailed" in warning.msg


def test_e043_registration_needs_fields_it_can_fill() -> None:
    [error] = checks._user_model_messages(NeedsBirthYear, pages=True)
    assert error.id == "marketplace_core.E043"
    assert "birth_year" in error.msg and "nickname" not in error.msg
    assert checks._user_model_messages(NeedsBirthYear, pages=False) == []


@pytest.mark.parametrize("value", ["no", 1, None])
def test_e044_account_pages_is_a_bool(settings: Any, value: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "ACCOUNT_PAGES": value}
    assert _ids(checks.check_people()) == ["marketplace_core.E044"]


def test_e041_own_pages_need_their_own_login_url(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "ACCOUNT_PAGES": False}
    for core_login in ("marketplace:login", "/accounts/login/"):
        with override_settings(LOGIN_URL=core_login):
            [error] = checks.check_login_url()
            assert error.id == "marketplace_core.E041"
            assert "'login' for django.contrib.auth.urls" in error.hint
    with override_settings(LOGIN_URL="admin:login"):
        assert checks.check_login_url() == []


def test_e042_login_url_names_no_url(settings: Any) -> None:
    settings.LOGIN_URL = "accounts:signin"
    [error] = checks.check_login_url()
    assert error.id == "marketplace_core.E042"
    assert "'accounts:signin'" in error.msg


def test_w041_a_login_path_the_site_does_not_serve(settings: Any) -> None:
    """Django's default /accounts/login/ while the shop is mounted under /shop/."""
    settings.LOGIN_URL = "/shop/accounts/login/"
    [warning] = checks.check_login_url()
    assert warning.id == "marketplace_core.W041"
    assert "is no page of this site" in warning.msg
    settings.LOGIN_URL = "https://sso.example.com/login"  # another site: not ours to check
    assert checks.check_login_url() == []


def test_the_check_command_reports_them(settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "ACCOUNT_PAGES": False}
    assert "marketplace_core.E041" in _ids(run_checks())
