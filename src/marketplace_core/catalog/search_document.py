"""Keep ``Product.category_names`` (the denormalized part of the search document) current.

The full-text index covers a product's title, description and the names of its
categories. Categories live in another table, so their names are copied onto the
product whenever they can change: a product's categories are added, removed or
cleared (from either side), a category is renamed, or a category is deleted.
``Product.save()`` re-reads them too, so a stale in-memory product never writes
old names back.

Writes that bypass signals (``QuerySet.update()``, ``bulk_create()``, raw SQL)
must call :func:`refresh_category_names` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from marketplace_core.catalog.models import Category, Product, category_names_by_product


def refresh_category_names(product_ids: Iterable[int], *, using: str | None = None) -> None:
    """Rewrite ``category_names`` of the given products from their categories (two queries)."""
    ids = {pk for pk in product_ids if pk is not None}
    if not ids:
        return
    db = using or "default"
    updated = [
        Product(pk=pk, category_names=names)
        for pk, names in category_names_by_product(*ids, using=db).items()
    ]
    Product.objects.using(db).bulk_update(updated, ["category_names"])


def _product_ids_of_category(category: Any, using: str) -> list[int]:
    return list(
        Product.categories.through.objects.using(using).filter(category_id=category.pk)
        .values_list("product_id", flat=True)
    )


def _on_categories_changed(sender: Any, instance: Any, action: str, reverse: bool,
                           pk_set: set[int] | None, using: str, **kwargs: Any) -> None:
    if action == "pre_clear" and reverse:
        # Which products lose this category is unknown after the rows are gone.
        instance._marketplace_cleared_products = _product_ids_of_category(instance, using)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        if action != "post_clear" and not pk_set:
            return  # nothing was added or removed
        names = category_names_by_product(instance.pk, using=using)[instance.pk]
        Product.objects.using(using).filter(pk=instance.pk).update(category_names=names)
        # Keep the caller's instance current too (a later save() re-reads anyway).
        instance.category_names = names
    elif action == "post_clear":
        refresh_category_names(getattr(instance, "_marketplace_cleared_products", []),
                               using=using)
    else:
        refresh_category_names(pk_set or [], using=using)


def _on_category_saved(sender: Any, instance: Any, created: bool, using: str,
                       **kwargs: Any) -> None:
    if created:
        return  # a new category has no products yet
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "name" not in update_fields:
        return
    refresh_category_names(_product_ids_of_category(instance, using), using=using)


def _before_category_deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    # The through rows are deleted by cascade, without m2m_changed.
    instance._marketplace_deleted_from = _product_ids_of_category(instance, using)


def _after_category_deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    refresh_category_names(getattr(instance, "_marketplace_deleted_from", []), using=using)


def connect_signals() -> None:
    """Connect the receivers (idempotent: each has a ``dispatch_uid``)."""
    m2m_changed.connect(_on_categories_changed, sender=Product.categories.through,
                        dispatch_uid="marketplace_core.catalog.category_names.m2m")
    post_save.connect(_on_category_saved, sender=Category,
                      dispatch_uid="marketplace_core.catalog.category_names.saved")
    pre_delete.connect(_before_category_deleted, sender=Category,
                       dispatch_uid="marketplace_core.catalog.category_names.pre_delete")
    post_delete.connect(_after_category_deleted, sender=Category,
                        dispatch_uid="marketplace_core.catalog.category_names.post_delete")
    _connect_sqlite_index_repair()


def _connect_sqlite_index_repair() -> None:
    from django.db.models.signals import post_migrate

    from marketplace_core.catalog.search_sqlite import repair_after_migrate

    post_migrate.connect(repair_after_migrate,
                         dispatch_uid="marketplace_core.catalog.search_sqlite.repair")
