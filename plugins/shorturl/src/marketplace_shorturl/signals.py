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
    cached it under a version nobody asks for once the second bump lands."""
    slugs = {s for s in slug_values if s}
    for slug in slugs:
        links.invalidate(slug)

    def again() -> None:
        for slug in slugs:
            links.invalidate(slug)

    transaction.on_commit(again)


@receiver(post_save, sender=ShortURL, dispatch_uid="shorturl.saved")
def _saved(sender: type[ShortURL], instance: ShortURL, **kwargs: Any) -> None:
    previous = getattr(instance, "_loaded_slug", None)
    invalidate(instance.slug, previous)
    instance._loaded_slug = instance.slug  # type: ignore[attr-defined]


@receiver(post_delete, sender=ShortURL, dispatch_uid="shorturl.deleted")
def _deleted(sender: type[ShortURL], instance: ShortURL, **kwargs: Any) -> None:
    invalidate(instance.slug, getattr(instance, "_loaded_slug", None))
