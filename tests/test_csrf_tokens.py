"""Masked CSRF tokens for cached pages: Django's format, a fresh uniform mask each time."""

from __future__ import annotations

from collections import Counter

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import RequestFactory

from marketplace_core.csrf_tokens import mask_secret, masked_csrf_token

SECRET = "k3" * (CSRF_SECRET_LENGTH // 2)


def test_django_unmasks_the_token_to_the_secret():
    for _ in range(200):
        token = mask_secret(SECRET)
        assert len(token) == 2 * CSRF_SECRET_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET


def test_masks_are_fresh_and_use_every_character():
    masks = [mask_secret(SECRET)[:CSRF_SECRET_LENGTH] for _ in range(3000)]
    assert len(set(masks)) == len(masks)
    first = Counter(mask[0] for mask in masks)
    # 3,000 draws over 62 characters: about 48 each; a biased or short alphabet shows.
    assert set(first) == set(CSRF_ALLOWED_CHARS)
    assert max(first.values()) < 100 and min(first.values()) > 15


def test_the_visitors_cookie_is_renewed_and_a_first_visit_gets_one():
    known = RequestFactory().get("/")
    known.META["CSRF_COOKIE"] = SECRET
    assert _unmask_cipher_token(masked_csrf_token(known)) == SECRET
    assert known.META["CSRF_COOKIE_NEEDS_UPDATE"] is True

    first = RequestFactory().get("/")  # no secret yet: Django makes one
    token = masked_csrf_token(first)
    assert _unmask_cipher_token(token) == first.META["CSRF_COOKIE"]
    assert first.META["CSRF_COOKIE_NEEDS_UPDATE"] is True

