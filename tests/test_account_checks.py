"""One test per system-check id of the storefront and account settings (E020-E030)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import Error, run_checks
from django.test.utils import override_settings

# Django 6.1's own checks may query the database.
pytestmark = pytest.mark.django_db


def messages(**options: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    with override_settings(MARKETPLACE={**settings.MARKETPLACE, **options}):
        for message in run_checks():
            found.setdefault(message.id, []).append(message)
    return found


CASES = [
    ("LOGIN_FAILURE_LIMIT", "marketplace_core.E020", [0, -1, "5", 2.5, True], [1, 5, 50]),
    ("LOGIN_FAILURE_WINDOW", "marketplace_core.E021", [0, "900", None], [1, 900]),
    ("TRUSTED_PROXY_COUNT", "marketplace_core.E023", [-1, "1", 1.0], [0, 1, 2]),
    ("EMAIL_VERIFICATION_TTL", "marketplace_core.E024", [0, 86401, 7 * 86400, "3600"],
     [1, 3600, 86400]),
    ("PASSWORD_RESET_TTL", "marketplace_core.E025", [0, 3601, 3 * 86400], [60, 3600]),
    ("ACCOUNT_EMAIL_COOLDOWN", "marketplace_core.E026", [-1, "300"], [0, 300]),
    ("SITE_URL", "marketplace_core.E027",
     ["shop.example.com", "ftp://shop.example.com", "https://", "https://shop.example.com/shop",
      "https://shop.example.com/?a=1", "https://user@shop.example.com", 42],
     ["", "https://shop.example.com", "https://shop.example.com/", "http://localhost:8000"]),
    ("TESTIMONIALS", "marketplace_core.E028",
     ["quote", [{"quote": "Great"}], [{"quote": "", "author": "Ada"}],
      [{"quote": "Great", "author": "Ada", "stars": 5}], [{"quote": "Great", "author": "Ada",
                                                         "role": 3}], ["Great"]],
     [[], [{"quote": "Great", "author": "Ada"}],
      [{"quote": "Great", "author": "Ada", "role": "Designer"}]]),
    ("PRODUCTS_PER_PAGE", "marketplace_core.E029", [0, 101, "24"], [1, 24, 100]),
    ("RECEIPT_LINK_TTL", "marketplace_core.E033", [0, 59, 31 * 86400, "604800", None],
     [60, 3600, 7 * 86400, 30 * 86400]),
    ("ADDRESS_RATE_LIMITS", "marketplace_core.E030",
     [[], {"logins": "5/m"}, {"registrations": "0/h"}, {"registrations": "10/week"},
      {"password_resets": 10}, {"login_failures": "20/0m"}, {"verification_emails": "/h"}],
     [{}, {"login_failures": "20/15m"}, {"registrations": "3/h", "password_resets": "5/30m",
                                         "verification_emails": "10/d",
                                         "receipt_emails": "2/h"}]),
]


@pytest.mark.parametrize(("key", "check_id", "wrong", "right"), CASES,
                         ids=[case[1] for case in CASES])
def test_setting_has_its_own_check(key, check_id, wrong, right):
    for value in wrong:
        found = messages(**{key: value})
        assert check_id in found, (key, value)
        assert isinstance(found[check_id][0], Error)
        assert key in found[check_id][0].msg
    for value in right:
        assert check_id not in messages(**{key: value}), (key, value)


def test_defaults_pass():
    found = messages()
    assert not {f"marketplace_core.E0{n}" for n in range(20, 30)} & set(found)
