"""The redirect: 302 to the destination, 404/410 pages, no query on a cache hit."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from marketplace_shorturl.services import LinkData, update_link
from marketplace_shorturl.tasks import flush_clicks

WITHOUT_FAST_PATH = [
    m for m in __import__("tests.settings", fromlist=["MIDDLEWARE"]).MIDDLEWARE
    if not m.endswith("ShortURLMiddleware")
]
both_paths = pytest.mark.parametrize(
    "middleware", [None, WITHOUT_FAST_PATH], ids=["fast-path", "view-only"]
)


def _get(client, path, middleware, **extra):
    if middleware is None:
        return client.get(path, **extra)
    with override_settings(MIDDLEWARE=middleware):
        return client.get(path, **extra)


@pytest.mark.smoke
@both_paths
def test_redirects_with_302_not_301(client, make_link, middleware):
    make_link(slug="promo", destination="https://example.com/sale?utm=x")
    response = _get(client, "/s/promo", middleware)
    assert response.status_code == 302
    assert response["Location"] == "https://example.com/sale?utm=x"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.by_database
@both_paths
@pytest.mark.parametrize("max_visits", [None, 5], ids=["unlimited", "max-visits"])
def test_cache_hit_makes_no_database_query(client, make_link, middleware, max_visits,
                                           django_assert_num_queries):
    """Neither the visit counter nor the attribution cookie adds a query."""
    make_link(slug="promo", max_visits=max_visits)
    _get(client, "/s/promo", middleware)  # loads the link into both cache layers
    with django_assert_num_queries(0):
        response = _get(client, "/s/promo", middleware)
    assert response.status_code == 302
    assert "shorturl_ref" in response.cookies


def test_cache_hit_from_another_process_makes_no_query(client, make_link,
                                                       django_assert_num_queries):
    """A process whose own memory is empty still answers from the shared cache."""
    from marketplace_shorturl.linkcache import links

    make_link(slug="promo")
    client.get("/s/promo")
    links.clear_local()  # as if this were a fresh process sharing the cache
    with django_assert_num_queries(0):
        assert client.get("/s/promo").status_code == 302


@pytest.mark.by_database
def test_slugs_are_case_insensitive_and_accept_a_trailing_slash(client, make_link):
    make_link(slug="spring-sale")
    assert client.get("/s/Spring-Sale")["Location"] == "https://example.com/landing"
    assert client.get("/s/spring-sale/")["Location"] == "https://example.com/landing"


@both_paths
def test_unknown_slug_is_404(client, db, middleware):
    assert _get(client, "/s/nothing-here", middleware).status_code == 404


@both_paths
def test_expired_link_is_a_410_page(client, make_link, middleware):
    link = make_link(slug="old")
    update_link(link, LinkData(destination=link.destination,
                               expires_at=timezone.now() - dt.timedelta(days=1)))
    response = _get(client, "/s/old", middleware)
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert "Location" not in response


@both_paths
def test_inactive_link_is_a_410_page(client, make_link, middleware):
    make_link(slug="paused", is_active=False)
    response = _get(client, "/s/paused", middleware)
    assert response.status_code == 410
    assert "switched off by its owner" in response.content.decode()


def test_link_expiring_while_cached_turns_410(client, make_link):
    """Expiry is checked on every request, not frozen into the cache."""
    # Seconds enough for the first redirect to come before expiry on a loaded machine.
    expires_at = timezone.now() + dt.timedelta(seconds=3)
    make_link(slug="flash", expires_at=expires_at)
    assert client.get("/s/flash").status_code == 302
    time.sleep(max(0.0, (expires_at - timezone.now()).total_seconds()) + 0.05)
    assert client.get("/s/flash").status_code == 410


def test_only_get_counts_a_click(client, make_link):
    link = make_link(slug="promo")
    client.get("/s/promo")
    client.get("/s/promo")
    assert client.head("/s/promo").status_code == 302
    assert client.post("/s/promo").status_code == 405
    flush_clicks()
    link.refresh_from_db()
    assert link.clicks == 2


def test_short_links_are_short(make_link):
    link = make_link()
    assert link.path == f"/s/{link.slug}"
    assert len(link.path) <= 10
