"""The click journal: batches of click counts waiting in the shared cache.

Web processes :func:`append` batches (``{link_id: clicks}``); the flush task
reads them in order with :func:`read` and records how far it got in the
database. The product views that followed a click travel the same way in a
second journal (``prefix=VIEWS``, batches ``{(link_id, product_slug): views}``).
Only Django's cache API is used, so any shared cache with an atomic
``add`` works (Redis, Memcached); a local-memory cache works within one process.

Protocol (lock-free):

- Each batch takes the next sequence number with ``incr`` and is stored with
  ``add`` under that number. If ``add`` fails the slot is taken (by a flush that
  gave up waiting for it, or a racing writer on a cache without an atomic
  ``incr``) and the batch takes a new number.
- A reader that finds a slot below the head still empty claims it with ``add``
  of a tombstone, so a writer that stalled between ``incr`` and ``add`` moves on
  to a later slot instead of writing behind the reader.
- Sequence numbers live in an *epoch* (a random id in the cache). If the cache
  loses the epoch key (restart, ``clear()``), writers start a new epoch at 1 and
  the reader notices the change instead of waiting for numbers it has passed.

Batches never expire: one stays until a flush has applied it. Run Redis with a
``noeviction`` or ``volatile-*`` ``maxmemory-policy`` so they are not evicted.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from django.core.cache import cache

#: The key prefixes of the journals: clicks per link, product views per link and product.
CLICKS = "shorturl:journal"
VIEWS = "shorturl:views-journal"
EPOCH_KEY = f"{CLICKS}:epoch"
_TOMBSTONE = "x"
#: Batches read per cache round trip.
READ_CHUNK = 500
_APPEND_ATTEMPTS = 20
#: Seconds an applied slot stays claimed (far longer than any writer stalls).
RETIRED_TIMEOUT = 3600


class JournalError(RuntimeError):
    """A batch could not be stored; the caller keeps its counts and retries later."""


def _seq_key(epoch: str, prefix: str) -> str:
    return f"{prefix}:{epoch}:seq"


def _entry_key(epoch: str, seq: int, prefix: str) -> str:
    return f"{prefix}:{epoch}:{seq}"


def current_epoch(*, create: bool, prefix: str = CLICKS) -> str | None:
    """The journal's epoch id, created when missing and ``create`` is true."""
    epoch_key = f"{prefix}:epoch"
    epoch = cache.get(epoch_key)
    if epoch is None and create:
        cache.add(epoch_key, uuid.uuid4().hex, timeout=None)
        epoch = cache.get(epoch_key)
    return epoch


def head(epoch: str, prefix: str = CLICKS) -> int:
    """The highest sequence number handed out in ``epoch`` (0 when none)."""
    return int(cache.get(_seq_key(epoch, prefix)) or 0)


def append(counts: Mapping[Hashable, int], prefix: str = CLICKS) -> None:
    """Store one batch of counts. Raises :class:`JournalError` when it cannot."""
    batch = {k: int(v) for k, v in counts.items() if v}
    if not batch:
        return
    for _ in range(_APPEND_ATTEMPTS):
        epoch = current_epoch(create=True, prefix=prefix)
        if epoch is None:
            continue
        key = _seq_key(epoch, prefix)
        cache.add(key, 0, timeout=None)
        try:
            seq = cache.incr(key)
        except ValueError:  # the key vanished between add and incr
            continue
        if cache.add(_entry_key(epoch, seq, prefix), batch, timeout=None):
            return
    raise JournalError("no free journal slot after several attempts")


@dataclass
class Batches:
    """Batches ``(after, upto]`` of one epoch, merged, and the keys they came from."""

    totals: dict[Hashable, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)

    def add(self, batch: Mapping[Hashable, int]) -> None:
        for key, count in batch.items():
            self.totals[key] = self.totals.get(key, 0) + count


def read(epoch: str, after: int, upto: int, into: Batches, prefix: str = CLICKS) -> None:
    """Merge batches ``after+1 .. upto`` of ``epoch`` into ``into``.

    Slots still empty are claimed with a tombstone (see the module docstring),
    so when this returns, no batch can appear in that range any more.
    """
    for start in range(after + 1, upto + 1, READ_CHUNK):
        keys = [_entry_key(epoch, s, prefix)
                for s in range(start, min(start + READ_CHUNK, upto + 1))]
        found = cache.get_many(keys)
        for key in keys:
            value = found.get(key)
            if value is None and not cache.add(key, _TOMBSTONE, timeout=None):
                value = cache.get(key)  # a writer filled it just now
            if isinstance(value, dict):
                into.add(value)
            into.keys.append(key)


def retire(keys: list[str]) -> None:
    """Replace applied batches by tombstones that expire after :data:`RETIRED_TIMEOUT`.

    Not deleted at once: a writer stalled between ``incr`` and ``add`` would
    otherwise find its old slot free again and write where no reader looks.
    """
    for start in range(0, len(keys), READ_CHUNK):
        chunk = keys[start:start + READ_CHUNK]
        cache.set_many(dict.fromkeys(chunk, _TOMBSTONE), timeout=RETIRED_TIMEOUT)
