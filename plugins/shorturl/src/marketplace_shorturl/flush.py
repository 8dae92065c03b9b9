"""Apply the click journal to ``ShortURL.clicks``, exactly once.

The database row :class:`~marketplace_shorturl.models.ClickFlushState` holds the
``(epoch, seq)`` already applied. One flush reads the batches after it, adds
their sums to the links and advances it in a single transaction; the advance
is a compare-and-set on the old value, so of two flushes racing over the same
batches one applies them and the other changes nothing. Batches are retired
from the cache only after the commit: a crash in between leaves them unread
behind the mark, never counted twice.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F

from marketplace_shorturl import journal
from marketplace_shorturl.models import ClickFlushState, ShortURL

logger = logging.getLogger("shorturl")

STATE_NAME = "clicks"
_UPDATE_BATCH = 500


def apply_pending() -> int:
    """Add every journaled click to its link; return how many clicks were added.

    Clicks for links deleted meanwhile are dropped (and not in the result). Safe
    to run concurrently and repeatedly (it is the body of the periodic
    ``shorturl.flush_clicks`` task).
    """
    # Created by the migration; recreated if the table was emptied (test databases).
    ClickFlushState.objects.get_or_create(name=STATE_NAME)
    batches = journal.Batches()
    with transaction.atomic():
        state = ClickFlushState.objects.select_for_update().get(pk=STATE_NAME)
        # Read under the lock: a flush that waited must see the epoch the last one used.
        current = journal.current_epoch(create=False)
        old_epoch, old_seq = state.epoch, state.seq
        new_epoch, new_seq = old_epoch, old_seq
        if old_epoch:
            new_seq = max(journal.head(old_epoch), old_seq)
            journal.read(old_epoch, old_seq, new_seq, batches)
        if current and current != old_epoch:
            # The cache started a new epoch (it lost the old one's key): after the
            # old epoch's last batches, continue from the start of the new one.
            new_epoch, new_seq = current, journal.head(current)
            journal.read(current, 0, new_seq, batches)
        if (new_epoch, new_seq) == (old_epoch, old_seq):
            return 0
        advanced = ClickFlushState.objects.filter(
            pk=STATE_NAME, epoch=old_epoch, seq=old_seq
        ).update(epoch=new_epoch, seq=new_seq)
        if not advanced:
            return 0  # another flush applied these batches first
        applied = _add_clicks(batches.totals)
    journal.retire(batches.keys)
    if applied:
        logger.info("shorturl: applied %d clicks to %d links", applied, len(batches.totals))
    return applied


def _add_clicks(totals: dict[int, int]) -> int:
    """Add ``totals`` to the links that still exist; return the clicks added."""
    ids = sorted(link_id for link_id, clicks in totals.items() if clicks)
    added = 0
    for start in range(0, len(ids), _UPDATE_BATCH):
        chunk = ids[start:start + _UPDATE_BATCH]
        existing = ShortURL.objects.filter(pk__in=chunk).values_list("pk", flat=True)
        rows = [ShortURL(pk=pk, clicks=F("clicks") + totals[pk]) for pk in existing]
        if rows:
            ShortURL.objects.bulk_update(rows, ["clicks"])
        added += sum(totals[row.pk] for row in rows)
    return added
