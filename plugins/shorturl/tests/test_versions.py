"""Link versions with Redis as the cache: remembered in process memory, kept current by
Redis's invalidation messages (CLIENT TRACKING), so a repeat redirect asks Redis nothing.

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


def test_redis_cache_uses_tracked_versions(redis_cache):
    store = versions.store()
    assert isinstance(store, versions.RedisVersions)
    assert store.tracking


def test_other_caches_read_versions_from_the_cache(db):
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem):
        assert isinstance(versions.store(), versions.CacheVersions)


def test_repeat_redirects_ask_redis_nothing_about_the_link(redis_cache, promo):
    client = Client()
    with commands_sent(redis_cache) as commands:
        for _ in range(50):
            response = client.get("/s/promo")
            assert (response.status_code, response["Location"]) == (302, FIRST)
    assert [c for c in commands if "shorturl:link" in c] == []


def test_a_version_changed_by_another_client_is_seen_at_once(redis_cache, promo):
    change_destination_unnoticed(promo)
    assert Client().get("/s/promo")["Location"] == FIRST  # nothing told this process yet
    other = redis.Redis.from_url(redis_cache)
    other.set(cache.make_key(version_key("promo")), "changed-elsewhere")
    other.close()
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_version_written_by_an_older_release_is_read(redis_cache, promo):
    """Before tracking, versions were written through Django's cache (pickled): during a
    rolling deploy such a value must still work as a version."""
    change_destination_unnoticed(promo)
    other = redis.Redis.from_url(redis_cache)
    other.set(cache.make_key(version_key("promo")), pickle.dumps("0123abcd"))
    other.close()
    assert Client().get("/s/promo")["Location"] == SECOND
    assert Client().get("/s/promo")["Location"] == SECOND


@pytest.mark.by_database
def test_a_change_through_the_services_is_seen_at_once(redis_cache, promo, seller_client):
    from django.urls import reverse

    form = {"destination": SECOND, "slug": "promo", "is_active": "on", "expires_at": ""}
    assert seller_client.post(reverse("shorturl:update", args=[promo.pk]), form).status_code \
        == 302
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_lost_connection_forgets_what_it_remembered(redis_cache, promo):
    """Changes made while the tracking connection is down cannot be announced to it:
    noticing the lost connection must drop every remembered version."""
    key = cache.make_key(version_key("promo"))
    other = redis.Redis.from_url(redis_cache)
    change_destination_unnoticed(promo)
    assert kill_clients(redis_cache, versions.CLIENT_NAME) == 1
    other.set(key, "changed-while-disconnected")
    assert Client().get("/s/promo")["Location"] == SECOND
    # The new connection is tracked again: the next change is announced too.
    ShortURL.objects.filter(pk=promo.pk).update(destination=FIRST)
    other.set(key, "changed-after-reconnecting")
    other.close()
    assert Client().get("/s/promo")["Location"] == FIRST


def test_clearing_the_cache_forgets_remembered_versions(redis_cache, promo):
    change_destination_unnoticed(promo)
    cache.clear()  # FLUSHDB: Redis tells every tracking connection to drop everything
    assert Client().get("/s/promo")["Location"] == SECOND


def test_a_new_process_starts_with_nothing_remembered(redis_cache, promo,
                                                      django_assert_num_queries):
    links.clear_local()  # as a fresh process: the shared cache still holds the link
    with django_assert_num_queries(0):
        assert Client().get("/s/promo")["Location"] == FIRST


def test_without_client_tracking_every_redirect_reads_the_version(redis_cache, promo, settings):
    """CLIENT_TRACKING False: one GET of the version per redirect, nothing remembered."""
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": {"CLIENT_TRACKING": False}}
    store = versions.store()
    assert isinstance(store, versions.RedisVersions)
    assert not store.tracking
    client = Client()
    assert client.get("/s/promo")["Location"] == FIRST
    with commands_sent(redis_cache) as commands:
        for _ in range(20):
            assert client.get("/s/promo")["Location"] == FIRST
    key = cache.make_key(version_key("promo"))
    assert [c for c in commands if "shorturl:link" in c] == [f"GET {key}"] * 20
    change_destination_unnoticed(promo)
    other = redis.Redis.from_url(redis_cache)
    other.set(key, "changed-elsewhere")
    other.close()
    assert client.get("/s/promo")["Location"] == SECOND
