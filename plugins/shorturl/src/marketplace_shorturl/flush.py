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
    current = journal.current_epoch(create=False)
    batches = journal.Batches()
    finished_epoch: str | None = None
    with transaction.atomic():
        state = ClickFlushState.objects.select_for_update().get(pk=STATE_NAME)
        old_epoch, old_seq = state.epoch, state.seq
        if old_epoch and old_epoch != current:
            # The cache started a new epoch: finish what is left of the old one.
            journal.read(old_epoch, old_seq, journal.head(old_epoch), batches)
            finished_epoch = old_epoch
        new_epoch, new_seq = current or "", 0
        if current:
            start = old_seq if current == old_epoch else 0
            new_seq = max(journal.head(current), start)
            journal.read(current, start, new_seq, batches)
        if (new_epoch, new_seq) == (old_epoch, old_seq):
            return 0
        advanced = ClickFlushState.objects.filter(
            pk=STATE_NAME, epoch=old_epoch, seq=old_seq
        ).update(epoch=new_epoch, seq=new_seq)
        if not advanced:
            return 0  # another flush applied these batches first
        applied = _add_clicks(batches.totals)
    journal.retire(batches.keys, finished_epoch)
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
