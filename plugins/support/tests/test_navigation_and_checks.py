"""Navigation links through nav_items, the plugin's system checks, and loading."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test.utils import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _links(html: str) -> set[str]:
    return {key for key in ("support-incoming", "seller-my-support", "my-support")
            if f'data-nav="{key}"' in html}


def test_customers_see_my_support(buyer_client: Any) -> None:
    html = buyer_client.get(reverse("support:my_requests")).text
    assert _links(html) == {"my-support"}
    assert f'href="{reverse("support:my_requests")}" data-nav="my-support"' in html


def test_sellers_see_incoming_requests_and_their_own(seller_client: Any) -> None:
    html = seller_client.get(reverse("support:incoming")).text
    assert _links(html) == {"support-incoming", "seller-my-support"}
    assert 'data-nav="support-incoming" aria-current="page"' in html


def test_anonymous_visitors_see_no_support_links(client: Any) -> None:
    assert _links(client.get(reverse("marketplace:product_list")).text) == set()


def _ids(options: Any) -> set[str]:
    with override_settings(MARKETPLACE={"PLUGINS": ["support"], "support": options}):
        return {m.id for m in run_checks() if m.id.startswith("support.")}


def test_right_configuration_passes() -> None:
    assert _ids({}) == set()
    assert _ids({"PAGE_SIZE": 50}) == set()


@pytest.mark.parametrize("options", ["PAGE_SIZE=20", ["PAGE_SIZE"], 20])
def test_e001_options_must_be_a_dict(options: Any) -> None:
    assert _ids(options) == {"support.E001"}


@pytest.mark.parametrize("size", [0, -1, 501, "20", 2.5, True, None])
def test_e002_page_size_must_be_a_whole_number_from_1_to_500(size: Any) -> None:
    assert _ids({"PAGE_SIZE": size}) == {"support.E002"}


@pytest.mark.parametrize("rate", ["20", "0/10m", "20/10x", 20, None])
def test_e003_message_rate_limit_must_be_a_rate(rate: Any) -> None:
    assert _ids({"MESSAGE_RATE_LIMIT": rate}) == {"support.E003"}


def test_a_message_rate_limit_like_20_per_10_minutes_is_accepted() -> None:
    assert _ids({"MESSAGE_RATE_LIMIT": "20/10m"}) == set()
