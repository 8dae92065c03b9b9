"""Apply the click journal to ``ShortURL.clicks`` (and the views journal to
``ShortURL.views``), exactly once.

A database row :class:`~marketplace_shorturl.models.ClickFlushState` per journal
(``clicks``, ``views``) holds the ``(epoch, seq)`` already applied. One flush
reads the batches after it, adds their sums to the links and advances it in a
single transaction; the advance
is a compare-and-set on the old value, so of two flushes racing over the same
batches one applies them and the other changes nothing. Batches are retired
from the cache only after the commit: a crash in between leaves them unread
behind the mark, never counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable

from django.db import transaction
from django.db.models import F

from marketplace_core.catalog.models import Product
from marketplace_shorturl import journal
from marketplace_shorturl.models import ClickFlushState, ShortURL

logger = logging.getLogger("shorturl")

STATE_NAME = "clicks"
VIEWS_STATE_NAME = "views"
_UPDATE_BATCH = 500


def apply_pending() -> int:
    """Add every journaled click to its link, and every journaled product view to
    the link it followed; return how many clicks were added.

    Counts for links deleted meanwhile are dropped (and not in the result). Safe
    to run concurrently and repeatedly (it is the body of the periodic
    ``shorturl.flush_clicks`` task).
    """
    applied = _apply(journal.CLICKS, STATE_NAME, _add_clicks)
    views = _apply(journal.VIEWS, VIEWS_STATE_NAME, _add_views)
    if applied or views:
        logger.info("shorturl: applied %d clicks and %d product views", applied, views)
    return applied


def _apply(prefix: str, state_name: str, add: Callable[[dict[Hashable, int]], int]) -> int:
    """Apply journal ``prefix`` past its ``state_name`` mark with ``add``, once."""
    # Created by the migration; recreated if the table was emptied (test databases).
    ClickFlushState.objects.get_or_create(name=state_name)
    batches = journal.Batches()
    with transaction.atomic():
        state = ClickFlushState.objects.select_for_update().get(pk=state_name)
        # Read under the lock: a flush that waited must see the epoch the last one used.
        current = journal.current_epoch(create=False, prefix=prefix)
        old_epoch, old_seq = state.epoch, state.seq
        new_epoch, new_seq = old_epoch, old_seq
        if old_epoch:
            new_seq = max(journal.head(old_epoch, prefix), old_seq)
            journal.read(old_epoch, old_seq, new_seq, batches, prefix)
        if current and current != old_epoch:
            # The cache started a new epoch (it lost the old one's key): after the
            # old epoch's last batches, continue from the start of the new one.
            new_epoch, new_seq = current, journal.head(current, prefix)
            journal.read(current, 0, new_seq, batches, prefix)
        if (new_epoch, new_seq) == (old_epoch, old_seq):
            return 0
        advanced = ClickFlushState.objects.filter(
            pk=state_name, epoch=old_epoch, seq=old_seq
        ).update(epoch=new_epoch, seq=new_seq)
        if not advanced:
            return 0  # another flush applied these batches first
        applied = add(batches.totals)
    journal.retire(batches.keys)
    return applied


def _add_clicks(totals: dict[Hashable, int]) -> int:
    """Add ``totals`` (by link id) to the links that still exist; return the clicks added."""
    return _add_to("clicks", {int(k): v for k, v in totals.items() if isinstance(k, int)})


def _add_views(totals: dict[Hashable, int]) -> int:
    """Add ``totals`` (by ``(link id, product slug)``) to ``views`` of each link whose
    seller sells that product (a view of another shop's product is not the link's);
    return the views added."""
    pairs = {key: count for key, count in totals.items()
             if isinstance(key, tuple) and len(key) == 2}
    slugs = {str(slug) for _, slug in pairs}
    sellers = dict(Product.objects.filter(slug__in=slugs).values_list("slug", "seller_id"))
    link_sellers = dict(ShortURL.objects.filter(pk__in={int(link) for link, _ in pairs})
                        .values_list("pk", "seller_id"))
    per_link: dict[int, int] = {}
    for (link_id, slug), count in pairs.items():
        seller = link_sellers.get(int(link_id))
        if seller is not None and sellers.get(str(slug)) == seller:
            per_link[int(link_id)] = per_link.get(int(link_id), 0) + count
    return _add_to("views", per_link)


def _add_to(field: str, totals: dict[int, int]) -> int:
    """Add ``totals`` to ``field`` of the links that still exist; return the sum added."""
    ids = sorted(link_id for link_id, count in totals.items() if count)
    added = 0
    for start in range(0, len(ids), _UPDATE_BATCH):
        chunk = ids[start:start + _UPDATE_BATCH]
        existing = ShortURL.objects.filter(pk__in=chunk).values_list("pk", flat=True)
        rows = [ShortURL(pk=pk, **{field: F(field) + totals[pk]}) for pk in existing]
        if rows:
            ShortURL.objects.bulk_update(rows, [field])
        added += sum(totals[row.pk] for row in rows)
    return added
