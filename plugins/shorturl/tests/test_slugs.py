"""Generated slugs: short, URL-safe, no look-alikes, unique, retried on collision."""

from __future__ import annotations

import random
import re

import pytest
from marketplace_shorturl import slugs
from marketplace_shorturl.models import ShortURL
from marketplace_shorturl.services import (
    GENERATE_ATTEMPTS,
    LinkData,
    NoFreeSlug,
    SlugTaken,
    create_link,
)

LANDING = LinkData(destination="https://example.com/landing")


def test_alphabet_has_no_look_alikes_and_is_url_safe():
    assert not set(slugs.ALPHABET) & set("0oO1lIi")
    assert re.fullmatch(r"[a-z2-9]+", slugs.ALPHABET)
    assert len(set(slugs.ALPHABET)) == len(slugs.ALPHABET) == 31


def test_generated_slugs_are_short_and_unique(seller):
    made = [create_link(seller, LANDING).slug for _ in range(200)]
    assert len(set(made)) == 200
    assert all(re.fullmatch(f"[{slugs.ALPHABET}]{{7}}", s) for s in made)


def test_slug_length_is_configurable(seller, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": {"SLUG_LENGTH": 5}}
    assert len(create_link(seller, LANDING).slug) == 5


def _sequence(seed: int, count: int, length: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [slugs.generate(length, rng) for _ in range(count)]


@pytest.mark.by_database
def test_collision_is_retried_with_another_slug(seller, make_link):
    first, second = _sequence(42, 2)
    make_link(slug=first)  # the first candidate is already taken
    link = create_link(seller, LANDING, rng=random.Random(42))
    assert link.slug == second
    assert ShortURL.objects.count() == 2


@pytest.mark.by_database
def test_repeated_collisions_grow_the_slug(seller, make_link):
    half = GENERATE_ATTEMPTS // 2
    rng = random.Random(7)
    taken = [slugs.generate(7, rng) for _ in range(half)]
    for slug in taken:
        make_link(slug=slug)
    link = create_link(seller, LANDING, rng=random.Random(7))
    assert len(link.slug) == 8


@pytest.mark.by_database
def test_gives_up_when_every_candidate_collides(seller, make_link):
    rng = random.Random(3)
    half = GENERATE_ATTEMPTS // 2
    for length in (7, 8):
        for _ in range(half):
            make_link(slug=slugs.generate(length, rng))
    with pytest.raises(NoFreeSlug):
        create_link(seller, LANDING, rng=random.Random(3))


@pytest.mark.by_database
def test_chosen_slug_in_use_raises(seller, make_link):
    make_link(slug="taken")
    with pytest.raises(SlugTaken):
        create_link(seller, LinkData(destination="https://example.com/", slug="Taken"))


@pytest.mark.parametrize("word", ["manage", "products", "accounts", "api", "static"])
def test_reserved_and_site_words(db, word):
    assert slugs.is_reserved(word)


@pytest.mark.parametrize("word", ["spring-sale", "abc123", "x"])
def test_ordinary_words_are_free(db, word):
    assert not slugs.is_reserved(word)
