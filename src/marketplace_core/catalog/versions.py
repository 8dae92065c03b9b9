"""The catalog version: one token in the shared cache that every catalog change replaces.

Whatever is cached from the catalog (storefront pages, their fragments, counts)
is stored with the version it was computed under and used only while that is
still the current version, so a change committed by any process is seen on the
next request by every process that shares the ``default`` cache (local memory
in the demo, Redis in production).

- :func:`catalog_version` reads the token (one cache round trip;
  :func:`read_with` reads entries with it in the same trip). It returns
  ``None`` when the shared cache cannot be reached: callers then compute from
  the database and cache nothing.
- :func:`bump_catalog_version` replaces it. Writers never call it directly:
  :func:`bump_after_commit` schedules it for after their transaction commits
  (a reader that saw the old version while the change was uncommitted has
  cached its answer under a version nobody asks for any more), and bumps at
  once as well.
- The receivers connected by :func:`connect_signals` bump after every save or
  delete of a product or category, every change of a product's categories, and
  every change of a seller's shown name. Writes that bypass signals
  (``QuerySet.update()``, ``bulk_create()``, raw SQL) call
  :func:`bump_after_commit` themselves.
- A bump that cannot reach the cache is kept and retried by this process's
  next :func:`catalog_version` that reaches it; every cached entry also expires
  after ``PAGE_CACHE_TIMEOUT`` seconds, which bounds what a lost bump (a process
  that dies during a cache outage) can leave stale.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from marketplace_core.accounts.cache_fallback import FallbackCache
from marketplace_core.catalog.models import Category, Product
from marketplace_core.people.models import Account
from marketplace_core.people.users import NAME_FIELD, email_field_name

#: The cache key of the version (before the cache's ``KEY_PREFIX``).
VERSION_KEY = "marketplace:catalog:version"

#: The shared cache, left alone for a moment after it failed (one socket timeout
#: per retry interval, not one per request, while Redis hangs).
shared_cache = FallbackCache(
    consequence="storefront pages are rendered from the database, without the page cache",
    log=logging.getLogger("marketplace_core.catalog"),
)

_pending = threading.Event()  # a bump that could not reach the cache


def new_version() -> str:
    """A fresh token: the bump time in milliseconds (for ``Last-Modified``) and
    random bits (two bumps in one millisecond differ)."""
    return f"{time.time_ns() // 1_000_000:x}-{uuid.uuid4().hex[:12]}"


def version_time(version: str) -> float:
    """The time (seconds since the epoch) a token of :func:`new_version` was made."""
    try:
        return int(version.split("-", 1)[0], 16) / 1000
    except ValueError:
        return 0.0


def catalog_version() -> str | None:
    """The current catalog version, ``None`` while the shared cache is unreachable.

    A missing version (a cold or flushed cache) is created with ``add``, so
    concurrent first readers agree on one.
    """
    if _pending.is_set():
        bump_catalog_version()
    return shared_cache.run(_read_or_create, local=lambda cache: None)


def _read_or_create(cache: Any) -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, new_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return str(version)


def read_with(*keys: str) -> tuple[str, dict[str, Any]] | None:
    """The version and the values of ``keys`` under it, in one round trip
    (``get_many``); ``None`` while the shared cache is unreachable."""
    if _pending.is_set():
        bump_catalog_version()

    def read(cache: Any) -> tuple[str, dict[str, Any]]:
        values = cache.get_many([VERSION_KEY, *keys])
        version = values.pop(VERSION_KEY, None)
        return (str(version) if version is not None else _read_or_create(cache)), values

    return shared_cache.run(read, local=lambda cache: None)


def bump_catalog_version() -> None:
    """Replace the version now. On a cache failure the bump is remembered and
    retried by this process's next :func:`catalog_version`."""
    def replace(cache: Any) -> bool:
        cache.set(VERSION_KEY, new_version(), timeout=None)
        return True

    _pending.clear()
    if not shared_cache.run(replace, local=lambda cache: False):
        _pending.set()


def bump_after_commit(using: str | None = None) -> None:
    """Bump once the current transaction on ``using`` commits (at once outside one).

    Inside a transaction it also bumps at once, like the short links do: a
    reader in between caches under a version that the commit's bump retires,
    and a test's transaction (which never commits) sees its own changes.
    """
    if transaction.get_connection(using).in_atomic_block:
        bump_catalog_version()
    transaction.on_commit(bump_catalog_version, using=using, robust=True)


# -------------------------------------------------------------------------
# signal receivers
# -------------------------------------------------------------------------


def _changed(sender: Any, using: str = "default", **kwargs: Any) -> None:
    bump_after_commit(using)


def _categories_changed(sender: Any, action: str, using: str = "default",
                        **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump_after_commit(using)


def _name_fields() -> set[str]:
    # What a seller's shown name comes from (people.names): the shop name, the
    # user model's own name fields, the address as the last resort.
    return {NAME_FIELD, "first_name", "last_name", "display_name",
            email_field_name() or "email"}


def _person_saved(sender: Any, instance: Any, using: str = "default",
                  update_fields: Any = None, **kwargs: Any) -> None:
    """A seller's name is on their product cards: bump when it may have changed
    (not on ``last_login`` updates, not for people who sell nothing)."""
    if update_fields is not None and not set(update_fields) & _name_fields():
        return
    if kwargs.get("created") and not isinstance(instance, Account):
        # A new user sells nothing yet; and a project may create users before
        # the framework's tables exist (its own data, then `migrate`).
        return
    user_id = instance.user_id if isinstance(instance, Account) else instance.pk
    if Product.objects.using(using).filter(seller_id=user_id).exists():
        bump_after_commit(using)


def connect_signals() -> None:
    """Connect the receivers (idempotent: each has a ``dispatch_uid``)."""
    for model in (Product, Category):
        post_save.connect(_changed, sender=model,
                          dispatch_uid=f"marketplace_core.catalog.version.saved.{model.__name__}")
        post_delete.connect(_changed, sender=model,
                            dispatch_uid=f"marketplace_core.catalog.version.deleted."
                                         f"{model.__name__}")
    m2m_changed.connect(_categories_changed, sender=Product.categories.through,
                        dispatch_uid="marketplace_core.catalog.version.categories")
    for person in (get_user_model(), Account):
        post_save.connect(_person_saved, sender=person,
                          dispatch_uid=f"marketplace_core.catalog.version.person."
                                       f"{person._meta.label}")
