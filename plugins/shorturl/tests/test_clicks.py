"""Click counting in one process: buffered, pushed, flushed exactly once."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from marketplace_shorturl import journal
from marketplace_shorturl.clicks import buffer
from marketplace_shorturl.flush import apply_pending
from marketplace_shorturl.tasks import flush_clicks

from marketplace_core.testing.contracts import wait_until

pytestmark = pytest.mark.by_database


def clicks(link) -> int:
    link.refresh_from_db()
    return link.clicks


def test_clicks_are_stored_by_the_flush(client, make_link):
    link = make_link(slug="promo")
    for _ in range(5):
        client.get("/s/promo")
    assert clicks(link) == 0  # nothing written on the redirect path
    assert flush_clicks() == 5
    assert clicks(link) == 5


def test_flushing_again_never_counts_twice(client, make_link):
    link = make_link(slug="promo")
    client.get("/s/promo")
    flush_clicks()
    assert flush_clicks() == 0
    assert apply_pending() == 0
    client.get("/s/promo")
    flush_clicks()
    assert clicks(link) == 2


def test_clicks_for_a_deleted_link_are_dropped(client, make_link):
    gone, kept = make_link(slug="gone"), make_link(slug="kept")
    client.get("/s/gone")
    client.get("/s/kept")
    buffer.push()
    gone.delete()
    assert flush_clicks() == 1  # the kept link's click; the deleted one is skipped
    assert clicks(kept) == 1


def test_no_click_is_lost_while_the_shared_cache_is_down(client, make_link):
    link = make_link(slug="promo")
    client.get("/s/promo")
    client.get("/s/promo")
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:9"}}
    with pytest.raises(Exception), override_settings(CACHES=unreachable):  # noqa: B017
        buffer.push()  # the Redis client's connection error
    assert buffer.pending() == 2
    flush_clicks()
    assert clicks(link) == 2


def test_a_new_cache_epoch_is_noticed(client, make_link):
    """After the cache lost the journal (restart, clear), new clicks still count."""
    link = make_link(slug="promo")
    client.get("/s/promo")
    flush_clicks()
    cache.clear()
    client.get("/s/promo")
    client.get("/s/promo")
    flush_clicks()
    assert clicks(link) == 3


def test_batches_left_in_an_old_epoch_are_still_applied(client, make_link):
    link = make_link(slug="promo")
    client.get("/s/promo")
    flush_clicks()  # the database now tracks the first epoch
    client.get("/s/promo")
    buffer.push()  # waits in the first epoch
    cache.delete(journal.EPOCH_KEY)  # only the epoch key is lost (evicted)
    client.get("/s/promo")
    buffer.push()  # starts a second epoch
    assert flush_clicks() == 2
    assert clicks(link) == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_and_flushes_count_exactly(make_link):
    """Threads clicking, pushing and flushing at once: every click counted once."""
    link = make_link(slug="promo")
    Client().get("/s/promo")  # warm the caches
    served = 1
    per_thread, threads = 150, 4
    stop = threading.Event()

    def click() -> None:
        visitor = Client()
        for n in range(per_thread):
            assert visitor.get("/s/promo").status_code == 302
            if n % 10 == 0:
                buffer.push()

    def flush() -> None:
        from django.db import connection

        while not stop.is_set():
            apply_pending()
        connection.close()

    flushers = [threading.Thread(target=flush) for _ in range(2)]
    clickers = [threading.Thread(target=click) for _ in range(threads)]
    for thread in flushers + clickers:
        thread.start()
    for thread in clickers:
        thread.join()
    stop.set()
    for thread in flushers:
        thread.join()
    served += per_thread * threads
    flush_clicks()
    assert clicks(link) == served


@pytest.mark.django_db(transaction=True)
def test_pusher_thread_moves_clicks_without_being_asked(make_link, settings):
    """In development (eager Celery, no beat) the web process flushes by itself."""
    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "shorturl": {"PUSH_INTERVAL": 0.05, "FLUSH_IN_WEB_PROCESS": True}}
    link = make_link(slug="promo")
    for _ in range(3):
        Client().get("/s/promo")
    wait_until(lambda: clicks(link) >= 3, timeout=30, what="the pusher thread's flush")
    assert clicks(link) == 3
    assert buffer.pending() == 0
