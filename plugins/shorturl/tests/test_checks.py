"""One test per system check id: each wrong setting is reported under its own id."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

# Django's own model checks may ask the database about its features.
pytestmark = pytest.mark.django_db

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": "redis://127.0.0.1:6379"}}


def shorturl_ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("shorturl."))


def configure(settings, **options):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": options}


@pytest.fixture(autouse=True)
def _shared_cache(settings):
    settings.CACHES = REDIS  # a sound production baseline (checks never connect)
    configure(settings)  # the test settings' PUSH_INTERVAL 0 would add shorturl.W005


def test_sound_configuration_has_no_messages(settings):
    configure(settings, SHORT_DOMAIN="go.example.com", ALLOWED_DOMAINS=["example.com"],
              RESERVED_SLUGS=["pricing"], SLUG_LENGTH=8, PUSH_INTERVAL=0.5,
              FLUSH_INTERVAL=30, CACHE_TIMEOUT=600, LOCAL_CACHE_SIZE=100, PAGE_SIZE=50)
    assert shorturl_ids() == []


def test_e001_options_not_a_dict(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "shorturl": ["SHORT_DOMAIN"]}
    assert shorturl_ids() == ["shorturl.E001"]


def test_w001_unknown_option(settings):
    configure(settings, SHORT_DOMIAN="go.example.com")
    assert shorturl_ids() == ["shorturl.W001"]


@pytest.mark.parametrize("value", ["go.example.com/path", "ftp://go.example.com",
                                   "https://user@go.example.com", "not a host", 42,
                                   "https://go.example.com:99999", "https://go.example.com?x"])
def test_e002_short_domain(settings, value):
    configure(settings, SHORT_DOMAIN=value)
    assert shorturl_ids() == ["shorturl.E002"]


@pytest.mark.parametrize("value", ["example.com", ["https://example.com"], ["ex ample.com"], [1]])
def test_e003_allowed_domains(settings, value):
    configure(settings, ALLOWED_DOMAINS=value)
    assert shorturl_ids() == ["shorturl.E003"]


@pytest.mark.parametrize("value", ["pricing", [""], [3]])
def test_e004_reserved_slugs(settings, value):
    configure(settings, RESERVED_SLUGS=value)
    assert shorturl_ids() == ["shorturl.E004"]


@pytest.mark.parametrize("option, value, check_id", [
    ("SLUG_LENGTH", 3, "shorturl.E005"),
    ("SLUG_LENGTH", "7", "shorturl.E005"),
    ("CACHE_TIMEOUT", 0, "shorturl.E006"),
    ("LOCAL_CACHE_SIZE", 0, "shorturl.E007"),
    ("LOCAL_CACHE_SIZE", 1.5, "shorturl.E007"),
    ("PUSH_INTERVAL", -1, "shorturl.E008"),
    ("PUSH_INTERVAL", True, "shorturl.E008"),
    ("FLUSH_INTERVAL", 0, "shorturl.E009"),
    ("PAGE_SIZE", 0, "shorturl.E010"),
    ("ATTRIBUTION_DAYS", -1, "shorturl.E012"),
    ("ATTRIBUTION_DAYS", 366, "shorturl.E012"),
    ("ATTRIBUTION_DAYS", 1.5, "shorturl.E012"),
])
def test_e005_to_e010_and_e012_numbers(settings, option, value, check_id):
    configure(settings, **{option: value})
    assert shorturl_ids() == [check_id]


@pytest.mark.parametrize("value", ["", "a b", "ref;x", 7, "x" * 65])
def test_e013_attribution_cookie(settings, value):
    configure(settings, ATTRIBUTION_COOKIE=value)
    assert shorturl_ids() == ["shorturl.E013"]


def test_attribution_options_that_are_fine(settings):
    configure(settings, ATTRIBUTION_DAYS=0, ATTRIBUTION_COOKIE="mp.ref-1")
    assert shorturl_ids() == []


def test_e011_dummy_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert shorturl_ids() == ["shorturl.E011"]


def test_w002_file_based_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path)}}
    assert shorturl_ids() == ["shorturl.W002"]


def test_w003_local_memory_cache_in_production(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    assert shorturl_ids() == ["shorturl.W003"]
    settings.DEBUG = True
    assert shorturl_ids() == []


def test_w004_middleware_after_the_session_middleware(settings):
    stack = [m for m in settings.MIDDLEWARE if not m.endswith("ShortURLMiddleware")]
    settings.MIDDLEWARE = [*stack, "marketplace_shorturl.middleware.ShortURLMiddleware"]
    assert shorturl_ids() == ["shorturl.W004"]


@pytest.mark.parametrize("value", [0, 0.0])
def test_w005_push_interval_zero(settings, value):
    configure(settings, PUSH_INTERVAL=value)
    assert shorturl_ids() == ["shorturl.W005"]
    configure(settings, PUSH_INTERVAL=0.5)
    assert shorturl_ids() == []
