"""Maximum visits: N redirects, then 410 like an expired link; exact with Redis under
concurrency; no database query on the redirect path."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from marketplace_shorturl.models import ShortURL
from marketplace_shorturl.services import LinkData, update_link
from marketplace_shorturl.tasks import flush_clicks

from tests.test_redirect import _get, both_paths

pytestmark = pytest.mark.django_db


@both_paths
def test_n_visits_then_410(client, make_link, middleware):
    make_link(slug="three", max_visits=3)

    assert [_get(client, "/s/three", middleware).status_code for _ in range(3)] == [302] * 3
    response = _get(client, "/s/three", middleware)

    assert response.status_code == 410 and "Location" not in response
    assert "used as many times as its owner allowed" in response.content.decode()
    assert _get(client, "/s/three", middleware).status_code == 410
    flush_clicks()
    assert ShortURL.objects.get(slug="three").clicks == 3


def test_head_requests_do_not_use_up_visits(client, make_link):
    make_link(slug="two", max_visits=2)
    assert [client.head("/s/two").status_code for _ in range(5)] == [302] * 5
    assert [client.get("/s/two").status_code for _ in range(3)] == [302, 302, 410]
    assert client.head("/s/two").status_code == 410


def test_raising_the_maximum_opens_the_link_again(any_cache, client, make_link):
    link = make_link(slug="again", max_visits=1)
    assert [client.get("/s/again").status_code for _ in range(2)] == [302, 410]
    update_link(link, LinkData(destination=link.destination, max_visits=3))
    assert [client.get("/s/again").status_code for _ in range(3)] == [302, 302, 410]


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request):
    """The default cache of the test settings (local memory), or Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


def test_a_lost_counter_restarts_from_the_flushed_clicks(any_cache, client, make_link):
    from django.core.cache import cache
    from marketplace_shorturl.linkcache import links
    from marketplace_shorturl.visits import visits_key

    link = make_link(slug="lost", max_visits=3)
    assert [client.get("/s/lost").status_code for _ in range(2)] == [302, 302]
    flush_clicks()
    cache.delete(visits_key(link.pk))  # evicted, or the cache restarted
    links.clear_local()
    cache.clear()
    assert [client.get("/s/lost").status_code for _ in range(2)] == [302, 410]


@pytest.mark.by_database
def test_exact_under_concurrency_with_redis(redis_cache, make_link):
    """Many threads at once: Redis INCR admits exactly max_visits of them."""
    make_link(slug="rush", max_visits=7)
    assert Client().head("/s/rush").status_code == 302  # loads the link (HEAD uses no visit)

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: Client().get("/s/rush").status_code, range(40)))

    assert sorted(codes) == [302] * 7 + [410] * 33


def test_the_form_takes_a_maximum_and_refuses_nonsense(seller_client, seller):
    response = seller_client.post("/s/manage/new/", {
        "destination": "https://example.com/a", "slug": "capped", "max_visits": "0",
        "is_active": "on"})
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1" in response.content.decode()

    response = seller_client.post("/s/manage/new/", {
        "destination": "https://example.com/a", "slug": "capped", "max_visits": "100",
        "is_active": "on"})
    assert response.status_code == 302
    assert ShortURL.objects.get(slug="capped", seller=seller).max_visits == 100
