"""Watching a real Redis from tests: which commands did the code under test send?"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import redis


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
