"""Cache invalidation for every write of a link, wherever it comes from."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from marketplace_shorturl.linkcache import links
from marketplace_shorturl.models import ShortURL


def invalidate(*slug_values: str | None) -> None:
    """Invalidate now and after commit: a reader that loaded the old row in between
    cached it under a version nobody asks for once the second bump lands.

    With the shared cache unreachable the change still saves: the bump after the
    commit, the one that counts, is then recorded as a ``MissedInvalidation`` and
    replayed when the cache answers again (:mod:`marketplace_shorturl.linkcache`).
    """
    slugs = {s for s in slug_values if s}
    if not slugs:
        return
    links.invalidate_or_record(slugs, record_missed=False)
    transaction.on_commit(lambda: links.invalidate_or_record(slugs, record_missed=True))


@receiver(post_save, sender=ShortURL, dispatch_uid="shorturl.saved")
def _saved(sender: type[ShortURL], instance: ShortURL, **kwargs: Any) -> None:
    previous = getattr(instance, "_loaded_slug", None)
    invalidate(instance.slug, previous)
    instance._loaded_slug = instance.slug  # type: ignore[attr-defined]


@receiver(post_delete, sender=ShortURL, dispatch_uid="shorturl.deleted")
def _deleted(sender: type[ShortURL], instance: ShortURL, **kwargs: Any) -> None:
    invalidate(instance.slug, getattr(instance, "_loaded_slug", None))
