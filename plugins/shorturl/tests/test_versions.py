"""Link versions with Redis as the cache: every redirect reads its link's version (one
round trip on a persistent connection), so a change is seen by the very next redirect.

These use a real ``redis-server`` (the ``redis_server`` fixture) as the default cache of
this test process; ``test_multiprocess.py`` checks the same across server processes.
"""

from __future__ import annotations

import pickle

import pytest
import redis
from django.core.cache import cache
from django.test import Client, override_settings
from marketplace_shorturl import versions
from marketplace_shorturl.linkcache import links, version_key
from marketplace_shorturl.models import ShortURL

from tests.redistools import commands_sent, kill_clients

FIRST, SECOND = "https://example.com/first", "https://example.com/second"


@pytest.fixture
def promo(make_link):
    """A link the test client has followed once (so both layers hold it)."""
    link = make_link(slug="promo", destination=FIRST)
    assert Client().get("/s/promo")["Location"] == FIRST
    return link


def change_destination_unnoticed(link) -> None:
    """Change the row without the model's signals: no version bump, so only a
    reload can show it (the test then decides what makes the process reload)."""
    ShortURL.objects.filter(pk=link.pk).update(destination=SECOND)


def set_version_elsewhere(url: str, value: bytes | str) -> None:
    """Write the promo link's version as another process (or release) would."""
    other = redis.Redis.from_url(url)
    other.set(cache.make_key(version_key("promo")), value)
    other.close()


def test_redis_cache_reads_versions_on_its_own_connection(redis_cache):
    assert isinstance(versions.store(), versions.RedisVersions)


def test_other_caches_read_versions_from_the_cache(db):
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem):
        assert isinstance(versions.store(), versions.CacheVersions)


def test_a_repeat_redirect_reads_only_the_version(redis_cache, promo):
    """One Redis command per redirect of a link the process holds: the version."""
    client = Client()
    with commands_sent(redis_cache) as commands:
        for _ in range(20):
            response = client.get("/s/promo")
            assert (response.status_code, response["Location"]) == (302, FIRST)
    key = cache.make_key(version_key("promo"))
    assert [c for c in commands if "shorturl:link" in c] == [f"GET {key}"] * 20


def test_a_version_changed_by_another_client_is_seen_at_once(redis_cache, promo):
    change_destination_unnoticed(promo)
    assert Client().get("/s/promo")["Location"] == FIRST  # nothing told this process yet
    set_version_elsewhere(redis_cache, "changed-elsewhere")
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_version_written_by_an_older_release_is_read(redis_cache, promo):
    """Versions were once written through Django's cache (pickled): during a rolling
    deploy such a value must still work as a version."""
    change_destination_unnoticed(promo)
    set_version_elsewhere(redis_cache, pickle.dumps("0123abcd"))
    assert Client().get("/s/promo")["Location"] == SECOND
    assert Client().get("/s/promo")["Location"] == SECOND


@pytest.mark.by_database
def test_a_change_through_the_services_is_seen_at_once(redis_cache, promo, seller_client):
    from django.urls import reverse

    form = {"destination": SECOND, "slug": "promo", "is_active": "on", "expires_at": ""}
    assert seller_client.post(reverse("shorturl:update", args=[promo.pk]), form).status_code \
        == 302
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_lost_connection_is_opened_again(redis_cache, promo, django_assert_num_queries):
    """A connection closed by the server is reconnected by the next redirect, which
    still answers from the cache and sees changes made meanwhile."""
    assert kill_clients(redis_cache, versions.CLIENT_NAME) == 1
    with django_assert_num_queries(0):
        assert Client().get("/s/promo")["Location"] == FIRST
    change_destination_unnoticed(promo)
    assert kill_clients(redis_cache, versions.CLIENT_NAME) == 1
    set_version_elsewhere(redis_cache, "changed-while-disconnected")
    assert Client().get("/s/promo")["Location"] == SECOND


def test_clearing_the_cache_forgets_remembered_versions(redis_cache, promo):
    change_destination_unnoticed(promo)
    cache.clear()  # FLUSHDB: the version is gone, so the next redirect reloads
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_new_process_starts_with_nothing_remembered(redis_cache, promo,
                                                      django_assert_num_queries):
    links.clear_local()  # as a fresh process: the shared cache still holds the link
    with django_assert_num_queries(0):
        assert Client().get("/s/promo")["Location"] == FIRST
