"""The only writers of short links.

Each write invalidates the slug's cache entry at once and again after the
transaction commits (see :mod:`marketplace_shorturl.linkcache`); the
``post_save``/``post_delete`` receivers in :mod:`marketplace_shorturl.signals`
do the same for writes made elsewhere (admin, cascades from a deleted seller).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from random import Random

from django.db import IntegrityError, transaction

from marketplace_core.people.types import User
from marketplace_shorturl import slugs
from marketplace_shorturl.conf import conf
from marketplace_shorturl.models import ShortURL

#: Attempts at a free generated slug; the length grows by one after half of them.
GENERATE_ATTEMPTS = 8


class SlugTaken(Exception):
    """The chosen slug belongs to another link."""


class NoFreeSlug(RuntimeError):
    """Every generated slug collided (the slug space is nearly full: raise SLUG_LENGTH)."""


@dataclass(frozen=True)
class LinkData:
    """What a seller sets on a link."""

    destination: str
    slug: str | None = None
    is_active: bool = True
    expires_at: dt.datetime | None = None
    max_visits: int | None = None


def create_link(seller: User, data: LinkData, *, rng: Random | None = None) -> ShortURL:
    """Create a link for ``seller``; generate the slug when ``data.slug`` is empty.

    ``data`` must already be validated (:class:`~marketplace_shorturl.forms.ShortURLForm`).
    A generated slug that collides is replaced by another (``rng`` makes the
    sequence reproducible in tests). Raises :class:`SlugTaken` for a chosen slug
    in use and :class:`NoFreeSlug` when generation keeps colliding.
    """
    fields = {"seller": seller, "destination": data.destination,
              "is_active": data.is_active, "expires_at": data.expires_at,
              "max_visits": data.max_visits}
    if data.slug:
        try:
            return _insert(slug=slugs.normalize(data.slug), **fields)
        except IntegrityError as exc:
            raise SlugTaken(data.slug) from exc
    length = conf.SLUG_LENGTH
    for attempt in range(GENERATE_ATTEMPTS):
        slug = slugs.generate(length + attempt // (GENERATE_ATTEMPTS // 2), rng)
        if slugs.is_reserved(slug):
            continue
        try:
            return _insert(slug=slug, **fields)
        except IntegrityError:
            continue  # taken: try another
    raise NoFreeSlug(f"no free slug after {GENERATE_ATTEMPTS} attempts")


def _insert(**fields: object) -> ShortURL:
    with transaction.atomic():  # a savepoint, so a collision leaves the caller usable
        return ShortURL.objects.create(**fields)


def update_link(link: ShortURL, data: LinkData) -> ShortURL:
    """Change ``link``; a changed slug frees the old one. Raises :class:`SlugTaken`."""
    link.destination = data.destination
    link.is_active = data.is_active
    link.expires_at = data.expires_at
    link.max_visits = data.max_visits
    if data.slug:
        link.slug = slugs.normalize(data.slug)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:
        raise SlugTaken(link.slug) from exc
    return link


def delete_link(link: ShortURL) -> None:
    """Delete ``link``; its short URL answers 404 from the next request on."""
    from marketplace_shorturl import visits

    link_id = link.pk
    link.delete()
    transaction.on_commit(lambda: visits.forget(link_id))
