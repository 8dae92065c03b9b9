"""Redis stopped and started again mid-test, as in an outage.

While it is down, short links answer from the database (fast path and view), the
seller's pages work and changes saved are seen at once; clicks wait in memory. When
it answers again, on the same port, nothing here is restarted: redirects are served
from the cache again, no change saved during the outage is hidden by an entry the
cache kept from before it, and every click is counted. Never a 5xx.

The Redis is the test's own (``RestartableRedis``), so stopping it leaves the
session's ``redis_server`` alone. It either keeps its data across the stop (as a Redis
with persistence does: its old versions and entries come back) or loses it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.linkcache import links, version_key
from marketplace_shorturl.models import MissedInvalidation
from marketplace_shorturl.tasks import flush_clicks, replay_invalidations

from marketplace_core.testing.contracts import wait_until
from tests.redistools import RestartableRedis, commands_sent
from tests.servers import PLUGIN_DIR, ServerProcess, server_environment
from tests.test_redirect import WITHOUT_FAST_PATH

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, SECOND, THIRD = ("https://example.com/first", "https://example.com/second",
                        "https://example.com/third")
keep_data = pytest.mark.parametrize("keep_data", [True, False],
                                    ids=["redis-keeps-its-data", "redis-loses-its-data"])


@pytest.fixture
def outage_redis(transactional_db: None) -> Iterator[RestartableRedis]:
    """A Redis of this test's own as this process's default cache."""
    server = RestartableRedis().start()
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": server.url}}
    try:
        with override_settings(CACHES=caches):
            links.clear_local()
            yield server
    finally:
        links.clear_local()
        server.stop()


def form(**fields: str) -> dict[str, str]:
    return {"destination": FIRST, "slug": "", "expires_at": "", "is_active": "on", **fields}


def answer(client: Client, path: str) -> tuple[int, str | None]:
    response = client.get(path)
    return response.status_code, response.get("Location")


@keep_data
def test_short_links_answer_through_a_redis_outage(outage_redis, make_link, seller_client,
                                                   keep_data, caplog):
    caplog.set_level(logging.INFO, logger="shorturl")
    promo = make_link(slug="promo", destination=FIRST)
    doomed = make_link(slug="doomed")
    make_link(slug="paused", is_active=False)
    visitor = Client()
    clicks = 0

    def follow(expected: str) -> None:
        nonlocal clicks
        assert answer(visitor, "/s/promo") == (302, expected)
        clicks += 1

    follow(FIRST)
    assert answer(visitor, "/s/doomed")[0] == 302
    with CaptureQueriesContext(connection) as queries:
        follow(FIRST)
    assert len(queries) == 0  # both links are in the cache layers

    outage_redis.halt(keep_data=keep_data)

    # Redirects, from the database: the fast path, the view (HEAD and without the
    # middleware), unknown and switched-off links.
    follow(FIRST)
    assert visitor.head("/s/promo").status_code == 302
    with override_settings(MIDDLEWARE=WITHOUT_FAST_PATH):
        follow(FIRST)
    assert answer(visitor, "/s/unknown")[0] == 404
    assert answer(visitor, "/s/paused")[0] == 410
    # The seller's pages, and every change is seen by the next redirect.
    assert seller_client.get(reverse("shorturl:list")).status_code == 200
    assert seller_client.get(reverse("shorturl:update", args=[promo.pk])).status_code == 200
    assert seller_client.post(reverse("shorturl:create"),
                              form(slug="fresh", destination=SECOND)).status_code == 302
    assert seller_client.post(reverse("shorturl:update", args=[promo.pk]),
                              form(slug="promo", destination=SECOND)).status_code == 302
    assert seller_client.post(reverse("shorturl:delete", args=[doomed.pk])).status_code == 302
    follow(SECOND)
    assert answer(visitor, "/s/fresh") == (302, SECOND)
    assert answer(visitor, "/s/doomed")[0] == 404
    # Clicks wait in this process (promo's, and one each for doomed and fresh); the
    # periodic tasks fail (beat runs them again).
    assert buffer.pending() == clicks + 2
    with pytest.raises(redis.ConnectionError):
        flush_clicks()
    assert buffer.pending() == clicks + 2
    with pytest.raises(redis.ConnectionError):
        replay_invalidations()
    # Logged: the outage once (not per request), and each change it could not announce.
    logged = [r.getMessage() for r in caplog.records if r.name == "shorturl"]
    assert len([m for m in logged if "read from the database" in m]) == 1
    assert [m.split()[1] for m in logged if "changed while" in m] == ["fresh", "promo", "doomed"]

    outage_redis.start()  # same port; nothing in this process is restarted

    answers: list[tuple[int, str | None]] = []

    def cached_again() -> bool:
        with CaptureQueriesContext(connection) as queries:
            answers.append(answer(visitor, "/s/promo"))
        return len(queries) == 0

    wait_until(cached_again, timeout=30, what="redirects answered from the cache again")
    assert set(answers) == {(302, SECOND)}  # never the entry from before the outage
    clicks += len(answers)
    assert answer(visitor, "/s/fresh") == (302, SECOND)
    assert answer(visitor, "/s/doomed")[0] == 404
    assert not MissedInvalidation.objects.exists()
    assert any("answers again" in r.getMessage() for r in caplog.records)
    # A change now is announced through the cache again.
    assert seller_client.post(reverse("shorturl:update", args=[promo.pk]),
                              form(slug="promo", destination=THIRD)).status_code == 302
    follow(THIRD)
    # Every click, before, during and after the outage, is counted.
    flush_clicks()
    promo.refresh_from_db()
    assert promo.clicks == clicks


def test_the_periodic_task_replays_changes_made_during_an_outage(outage_redis, make_link):
    """A process that never noticed the outage (it served no redirect meanwhile) learns
    about a change saved during it through ``shorturl.replay_invalidations``."""
    promo = make_link(slug="promo", destination=FIRST)
    assert answer(Client(), "/s/promo") == (302, FIRST)
    outage_redis.halt(keep_data=True)
    promo.destination = SECOND
    promo.save()  # the writer cannot reach the cache: the change is recorded
    outage_redis.start()
    links.clear_local()  # a process that noticed nothing: it trusts the cache at once
    assert answer(Client(), "/s/promo") == (302, FIRST)  # the cache kept the old entry
    assert replay_invalidations() == 1
    assert answer(Client(), "/s/promo") == (302, SECOND)
    assert replay_invalidations() == 0


def test_a_server_process_follows_an_outage_and_recovers_by_itself(outage_redis, make_link,
                                                                   seller_client):
    """A real web process: no 5xx while Redis is down, a change saved meanwhile is
    seen, and afterwards it reads links through Redis again and pushes the clicks it
    kept, without being restarted."""
    promo = make_link(slug="promo", destination=FIRST)
    server = ServerProcess(redis_url=outage_redis.url, env={"SHORTURL_PUSH_INTERVAL": "0.2"})
    served = 0

    def follow(expected: str) -> None:
        nonlocal served
        assert server.get("/s/promo") == (302, expected)
        served += 1

    try:
        server.start()
        follow(FIRST)
        outage_redis.halt(keep_data=True)
        for _ in range(10):
            follow(FIRST)
        assert server.get("/s/unknown")[0] == 404
        assert seller_client.post(reverse("shorturl:update", args=[promo.pk]),
                                  form(slug="promo", destination=SECOND)).status_code == 302
        follow(SECOND)
        outage_redis.start()

        key = cache.make_key(version_key("promo"))
        answers: list[tuple[int, str | None]] = []

        def through_redis() -> bool:
            with commands_sent(outage_redis.url) as commands:
                answers.append(server.get("/s/promo"))
            return f"GET {key}" in commands

        wait_until(through_redis, timeout=60, what="the server reading versions from Redis")
        assert set(answers) == {(302, SECOND)}
        served += len(answers)

        def all_clicks_stored() -> bool:
            flush_clicks()
            promo.refresh_from_db()
            return promo.clicks >= served

        wait_until(all_clicks_stored, timeout=60, what="the server pushing its clicks")
        assert promo.clicks == served
    finally:
        server.stop()


def test_a_process_exiting_during_an_outage_says_how_many_clicks_it_loses(outage_redis,
                                                                          make_link):
    make_link(slug="promo")
    outage_redis.halt(keep_data=False)
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client()\n"
        "assert all(client.get('/s/promo').status_code == 302 for _ in range(7))\n"
    )
    env = server_environment(outage_redis.url, {"SHORTURL_PUSH_INTERVAL": "0"})
    result = subprocess.run([sys.executable, "-c", script], cwd=PLUGIN_DIR, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "exiting with 7 clicks that could not be pushed" in result.stderr
