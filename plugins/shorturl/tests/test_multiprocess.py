"""Several real server processes sharing one database and one Redis.

These run on the test database with committed data (``transaction=True``), a
real ``redis-server`` (the ``redis_server`` fixture) and ``runserver``,
gunicorn or granian processes started by :mod:`tests.servers`.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse
from marketplace_shorturl.tasks import flush_clicks

from marketplace_core.testing.contracts import wait_until
from tests.servers import PLUGIN_DIR, WorkerServer, is_running, running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]
PUSH_INTERVAL = "0.2"


def stored_clicks(link) -> int:
    link.refresh_from_db()
    return link.clicks


def test_clicks_served_by_several_processes_are_counted_exactly(redis_cache, make_link):
    link = make_link(slug="promo", destination="https://example.com/landing")
    clicks_per_server, server_count = 300, 3
    stop_flushing = threading.Event()

    def flush_meanwhile() -> None:
        # Flushes race with pushes from every process during the load.
        try:
            while not stop_flushing.is_set():
                flush_clicks()
                time.sleep(0.05)
        finally:
            connection.close()

    with running(server_count, redis_url=redis_cache,
                 env={"SHORTURL_PUSH_INTERVAL": PUSH_INTERVAL}) as servers:
        flusher = threading.Thread(target=flush_meanwhile)
        flusher.start()
        try:
            targets = itertools.islice(itertools.cycle(servers),
                                       clicks_per_server * server_count)
            with ThreadPoolExecutor(max_workers=24) as pool:
                answers = list(pool.map(lambda server: server.get("/s/promo"), targets))
        finally:  # never leave the thread using the database after the test
            stop_flushing.set()
            flusher.join()
        served = sum(1 for status, location in answers
                     if status == 302 and location == "https://example.com/landing")
        assert served == clicks_per_server * server_count

        def all_stored() -> bool:
            flush_clicks()  # the processes push every PUSH_INTERVAL seconds
            return stored_clicks(link) >= served

        wait_until(all_stored, timeout=60, what="every click pushed and flushed")
        assert stored_clicks(link) == served
        time.sleep(3 * float(PUSH_INTERVAL))
        flush_clicks()
        assert stored_clicks(link) == served  # and never more


def test_a_change_is_seen_at_once_by_another_process(redis_cache, make_link, seller_client):
    link = make_link(slug="promo", destination="https://example.com/first")
    update = reverse("shorturl:update", args=[link.pk])
    form = {"destination": "https://example.com/second", "slug": "promo", "is_active": "on"}
    with running(2, redis_url=redis_cache) as (one, two):
        assert one.get("/s/promo") == (302, "https://example.com/first")
        assert two.get("/s/promo") == (302, "https://example.com/first")  # both cached

        assert seller_client.post(update, form).status_code == 302
        assert two.get("/s/promo") == (302, "https://example.com/second")
        assert one.get("/s/promo") == (302, "https://example.com/second")

        seller_client.post(update, {**form, "is_active": ""})
        assert one.get("/s/promo")[0] == 410
        assert two.get("/s/promo")[0] == 410

        seller_client.post(reverse("shorturl:delete", args=[link.pk]))
        assert two.get("/s/promo")[0] == 404
        assert one.get("/s/promo")[0] == 404


def test_a_process_exiting_normally_pushes_its_last_clicks(redis_cache, make_link):
    """With no pusher thread (PUSH_INTERVAL 0), exit still hands the clicks over."""
    from marketplace_core.testing.workers import database_url_for_test_db

    link = make_link(slug="promo")
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client()\n"
        "assert all(client.get('/s/promo').status_code == 302 for _ in range(7))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": database_url_for_test_db(), "REDIS_URL": redis_cache,
           "SHORTURL_PUSH_INTERVAL": "0",
           "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", script], cwd=PLUGIN_DIR, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert flush_clicks() == 7
    assert stored_clicks(link) == 7


@pytest.mark.parametrize("server_name", ["gunicorn", "granian"])
def test_sigterm_to_a_worker_loses_no_clicks(redis_cache, make_link, server_name):
    """SIGTERM to the worker (what a deploy or the server's own master sends) is a
    normal exit: the worker pushes the clicks it still holds. With no pusher thread
    (PUSH_INTERVAL 0) that exit push is the only way they can reach the journal."""
    link = make_link(slug="promo")
    clicks = 25
    server = WorkerServer(server_name, redis_url=redis_cache,
                          env={"SHORTURL_PUSH_INTERVAL": "0"})
    try:
        server.start()
        worker = server.worker_pid()
        answers = [server.get("/s/promo") for _ in range(clicks)]
        assert answers == [(302, "https://example.com/landing")] * clicks
        assert flush_clicks() == 0  # all of them are still in the worker's memory

        os.kill(worker, signal.SIGTERM)
        wait_until(lambda: not is_running(worker), timeout=60,
                   what=f"the {server_name} worker to exit on SIGTERM")

        assert flush_clicks() == clicks
        assert stored_clicks(link) == clicks
    finally:
        server.stop()
