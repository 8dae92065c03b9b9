"""A logged-in visitor's parts of storefront pages, kept in the shared cache.

A cached storefront page (:mod:`.page_cache`) is a shell with holes: the
``{% user_part %}`` blocks and the "Owned" badges. For an anonymous visitor the
holes are filled once per page; for a logged-in one they depend on the person.
This module keeps, per person, in the ``default`` cache:

- a **person version** (``marketplace:person:<pk>:version``), replaced by
  :func:`bump_person` whenever something a user part may show about the person
  changes: a purchase, a refund or revocation, becoming or stopping being a
  seller, a save of the user or their account rows (name, email, verified
  address), and whatever a plugin says through :func:`bump_person`;
- the **ids of the products they own** (all of them, one query), stored with
  the person version they were read under;
- the **rendered user parts** of each page they saw (keyed by the page's path,
  HTMX variant, host and language, not by its query string: a part must not
  depend on it), stored with the person version, the catalog version (the
  Buy / Download part shows the product) and the plugins' tokens
  (:func:`~marketplace_core.plugins.hookspecs.nav_cache_token`).

An entry is used only while all of these are still current, so a change is
seen on the next request by every process sharing the cache. As with the
catalog version, a writer bumps at once and again after its transaction commits
(:func:`bump_person_after_commit`): a reader that read the database in between
stored its answer under a version nobody asks for any more. A bump that cannot
reach the cache is retried by this process's next page; every entry expires
after ``PAGE_CACHE_TIMEOUT`` seconds.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from marketplace_core.catalog.versions import new_version, shared_cache
from marketplace_core.conf import conf
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.people.models import Account, SellerProfile
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.plugins.types import NAV_NOT_CACHED

_pending: set[Any] = set()  # people whose bump could not reach the cache
_pending_lock = threading.Lock()


def version_key(pk: Any) -> str:
    return f"marketplace:person:{pk}:version"


@dataclass(frozen=True)
class Visitor:
    """The cache keys of a logged-in visitor of one page."""

    pk: Any
    #: The plugins' ``nav_cache_token`` answers (``None``: a plugin opted out).
    tokens: tuple[str, ...] | None
    parts_key: str

    @property
    def version_key(self) -> str:
        return version_key(self.pk)

    @property
    def owned_key(self) -> str:
        return f"marketplace:person:{self.pk}:owned"

    @property
    def keys(self) -> list[str]:
        return [self.version_key, self.owned_key, self.parts_key]

    def version(self, values: dict[str, Any]) -> str | None:
        """The person version among ``values`` (read with :attr:`keys`), created
        when missing; ``None`` when the cache failed."""
        current = values.get(self.version_key)
        if current is not None:
            return str(current)

        def create(cache: Any) -> str | None:
            cache.add(self.version_key, new_version(), timeout=None)
            found = cache.get(self.version_key)
            return None if found is None else str(found)

        return shared_cache.run(create, local=lambda cache: None)

    def owned(self, values: dict[str, Any], version: str) -> frozenset[int]:
        """The ids of the products the visitor owns: from ``values`` while they
        are current, else one query (and stored under ``version``)."""
        kept = values.get(self.owned_key)
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == version:
            return frozenset(kept[1])
        ids = frozenset(PurchasedProduct.objects.active().filter(buyer_id=self.pk)
                        .values_list("product_id", flat=True))
        _store(self.owned_key, (version, sorted(ids)))
        return ids

    def parts(self, values: dict[str, Any], version: str, catalog: str,
              parts: Sequence[Any]) -> list[str] | None:
        """The visitor's rendered parts of the page from ``values``, ``None``
        unless they were rendered for these versions, tokens and parts."""
        if self.tokens is None:
            return None
        kept = values.get(self.parts_key)
        if (isinstance(kept, dict) and kept.get("person") == version
                and kept.get("catalog") == catalog and kept.get("tokens") == self.tokens
                and kept.get("parts") == list(parts)):
            rendered: list[str] = kept["rendered"]
            return rendered
        return None

    def store_parts(self, version: str, catalog: str, parts: Sequence[Any],
                    rendered: list[str]) -> None:
        if self.tokens is None:
            return
        _store(self.parts_key, {"person": version, "catalog": catalog, "tokens": self.tokens,
                                "parts": list(parts), "rendered": rendered})


def visitor(request: HttpRequest, page: str) -> Visitor | None:
    """The logged-in visitor of ``request``, ``None`` for an anonymous one.
    ``page``: what the user parts of the page may depend on besides the person
    (its path, HTMX variant, host, language)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    retry_pending()
    answers = get_plugin_manager().hook.nav_cache_token(request=request)
    tokens = None if NAV_NOT_CACHED in answers else tuple(str(answer) for answer in answers)
    digest = hashlib.blake2b(page.encode(), digest_size=16).hexdigest()
    return Visitor(user.pk, tokens, f"marketplace:person:{user.pk}:parts:{digest}")


def _store(key: str, value: Any) -> None:
    shared_cache.run(lambda cache: cache.set(key, value, timeout=conf.PAGE_CACHE_TIMEOUT),
                     local=lambda cache: None)


# -------------------------------------------------------------------------
# bumps
# -------------------------------------------------------------------------


def bump_person(pk: Any) -> None:
    """Replace the person version of the user ``pk`` now (their cached parts and
    owned ids are then unused). On a cache failure the bump is retried by this
    process's next page that reaches the cache."""
    def replace(cache: Any) -> bool:
        cache.set(version_key(pk), new_version(), timeout=None)
        return True

    with _pending_lock:
        _pending.discard(pk)
    if not shared_cache.run(replace, local=lambda cache: False):
        with _pending_lock:
            _pending.add(pk)


@dataclass(frozen=True)
class PersonBump:
    """The on-commit callback of :func:`bump_person_after_commit` (a type of its
    own: tests that count a transaction's callbacks can tell it apart)."""

    pk: Any

    def __call__(self) -> None:
        bump_person(self.pk)


def bump_person_after_commit(pk: Any, using: str | None = None) -> None:
    """Bump the person version of the user ``pk`` at once and once the current
    transaction on ``using`` commits (at once only, outside one). What a plugin
    calls when its own data shown in a user part (a badge) changes."""
    if pk is None:
        return
    bump_person(pk)
    if transaction.get_connection(using).in_atomic_block:
        transaction.on_commit(PersonBump(pk), using=using, robust=True)


def retry_pending() -> None:
    """Deliver the bumps that could not reach the cache (called before a read)."""
    if not _pending:
        return
    with _pending_lock:
        waiting = list(_pending)
    for pk in waiting:
        bump_person(pk)


def _purchase_changed(sender: Any, instance: PurchasedProduct, using: str = "default",
                      **kwargs: Any) -> None:
    bump_person_after_commit(instance.buyer_id, using)


def _row_saved(sender: Any, instance: Any, using: str = "default", **kwargs: Any) -> None:
    bump_person_after_commit(instance.user_id, using)


def _user_saved(sender: Any, instance: Any, using: str = "default",
                update_fields: Any = None, created: bool = False, **kwargs: Any) -> None:
    if created:
        # A user model whose keys come back may give it the key of a deleted
        # person, whose parts (their name) may still be cached. Nobody can be
        # logged in as it before the commit: a bump now is enough.
        bump_person(instance.pk)
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login
    bump_person_after_commit(instance.pk, using)


def _user_deleted(sender: Any, instance: Any, using: str = "default", **kwargs: Any) -> None:
    bump_person_after_commit(instance.pk, using)


def connect_signals() -> None:
    """Connect the receivers (idempotent: each has a ``dispatch_uid``). Writes
    that bypass signals (``QuerySet.update()``: revoking a purchase, a seller
    profile switched on or off, a verified address) call
    :func:`bump_person_after_commit` themselves."""
    prefix = "marketplace_core.catalog.visitors"
    for signal in (post_save, post_delete):
        signal.connect(_purchase_changed, sender=PurchasedProduct,
                       dispatch_uid=f"{prefix}.purchase.{id(signal)}")
        for model in (Account, SellerProfile):
            signal.connect(_row_saved, sender=model,
                           dispatch_uid=f"{prefix}.{model.__name__}.{id(signal)}")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid=f"{prefix}.user")
    post_delete.connect(_user_deleted, sender=get_user_model(),
                        dispatch_uid=f"{prefix}.user.deleted")
