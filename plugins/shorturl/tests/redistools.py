"""A real Redis in tests: which commands did the code under test send? And an outage:
a redis-server of the test's own, stopped and started again on the same port."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import redis

from marketplace_core.testing.servers import RedisServer


@contextlib.contextmanager
def commands_sent(url: str) -> Iterator[list[str]]:
    """Every command Redis executes inside the ``with`` block (from any client), via ``MONITOR``.

    The list is filled when the block ends: a marker command is sent last and the
    monitor stream is read up to it, so nothing executed in the block is missed.
    """
    seen: list[str] = []
    marker = f"end-of-block-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    try:
        with client.monitor() as monitor:
            yield seen
            client.echo(marker)
            while True:
                command = monitor.next_command()["command"]
                if marker in command:
                    break
                seen.append(command)
    finally:
        client.close()


def kill_clients(url: str, name: str) -> int:
    """Close every connection named ``name`` (``CLIENT SETNAME``); return how many."""
    client = redis.Redis.from_url(url)
    try:
        killed = 0
        for info in client.client_list():
            if info.get("name") == name:
                client.client_kill_filter(_id=info["id"])
                killed += 1
        return killed
    finally:
        client.close()


class RestartableRedis(RedisServer):
    """A ``redis-server`` of one test's own, which the test stops and starts again on
    the same port and data directory (:meth:`start` again), as in an outage."""

    def halt(self, *, keep_data: bool) -> None:
        """Stop the server. ``keep_data`` saves the data first (``SHUTDOWN SAVE``), so
        the restart loads it as a Redis with persistence would; otherwise it is lost
        (SIGTERM to a server without persistence)."""
        assert self.process is not None
        if keep_data:
            client = redis.Redis.from_url(self.url)
            client.shutdown(save=True)
            client.close()
        else:
            self.process.terminate()
        self.process.wait(30)
