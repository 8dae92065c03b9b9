"""Category facets: how many buyable products each category holds, kept exact.

The storefront's category filter reads :class:`~.models.CategoryFacet` rows
(:func:`category_choices`), never a join over products. The rows are kept by
recounting the categories a change touches, in the transaction of the change:

- a product is saved with ``status`` or ``is_active`` possibly changed (its
  categories);
- a product's categories are added, removed or cleared, from either side;
- a product is deleted (the categories it was in). A deleted category takes
  its facet row with it.

Receivers on the model signals do it, so every ORM path (the catalog services,
the admin, ``seed_demo``, the plugins) keeps the counts; writes that bypass
signals (``bulk_create``, ``QuerySet.update()``, raw SQL) call
:func:`recount_categories` or :func:`recount_all` themselves.

A recount (rather than +1/-1) stays exact whatever path changed the product and
heals a count such a write left stale. Under concurrent saves (PostgreSQL, READ
COMMITTED) it is exact because every change holds its product's row lock (the
product's own UPDATE or DELETE, or :func:`_lock_products` for a link change)
before it locks the facet rows, in id order, and counts in a new statement:
that statement sees every change committed before its lock was granted, and a
change to the same product cannot commit in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Func, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from marketplace_core.catalog.models import Category, CategoryFacet, Product

#: Product fields whose change can move a product in or out of the counts.
COUNTED_FIELDS = frozenset({"status", "is_active"})

_Links = Product.categories.through


def category_choices(using: str | None = None) -> QuerySet[Any]:
    """The category filter: one row per category slug with buyable products
    (``slug``, ``label``: the first of the sellers' names for it, ``products``:
    how many, ``categories``: how many sellers' categories have the slug), by
    label. Reads only facet and category rows.

    ``products`` is the sum of the categories' counts: a product linked to two
    categories of one slug (two sellers') counts twice."""
    return (
        CategoryFacet.objects.using(using or "default")
        .filter(published_count__gt=0)
        .annotate(slug=F("category__slug"))
        .values("slug")
        .annotate(label=Min("category__name"), products=Sum("published_count"),
                  categories=Count("pk"))
        .order_by("label", "slug")
    )


def _published_links_count() -> Subquery:
    """The category's buyable products, as a subquery of a facet row."""
    links: QuerySet[Any] = _Links.objects.filter(
        category_id=OuterRef("pk"),
        product__status=Product.Status.PUBLISHED,
        product__is_active=True,
    )
    # COUNT without GROUP BY: one row, 0 for an empty category.
    return Subquery(links.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def _lock_facets(facets: QuerySet[CategoryFacet], ids: list[int]) -> set[int]:
    return set(
        facets.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        .values_list("pk", flat=True)
    )


def recount_categories(category_ids: Iterable[int], *, using: str | None = None) -> None:
    """Set the facet count of each category from its products (three queries;
    two more the first time a category is counted). Joins the caller's
    transaction, or runs in its own."""
    ids = sorted({pk for pk in category_ids if pk is not None})
    if not ids:
        return
    db = using or "default"
    facets = CategoryFacet.objects.using(db)
    with transaction.atomic(using=db, savepoint=False):
        missing = [pk for pk in ids if pk not in _lock_facets(facets, ids)]
        if missing:
            # A category deleted meanwhile is skipped (its links went with it).
            present = Category.objects.using(db).filter(pk__in=missing)
            facets.bulk_create(
                [CategoryFacet(category_id=pk) for pk in present.values_list("pk", flat=True)],
                ignore_conflicts=True,
            )
            _lock_facets(facets, missing)
        facets.filter(pk__in=ids).update(
            published_count=_published_links_count()
        )


def recount_all(*, using: str | None = None, batch_size: int = 1000) -> None:
    """Recount every category (after bulk writes, or to repair)."""
    db = using or "default"
    with transaction.atomic(using=db):
        CategoryFacet.objects.using(db).bulk_create(
            (CategoryFacet(category_id=pk)
             for pk in Category.objects.using(db).values_list("pk", flat=True)),
            ignore_conflicts=True, batch_size=batch_size,
        )
        CategoryFacet.objects.using(db).update(
            published_count=_published_links_count()
        )


def _lock_products(product_ids: Iterable[int], using: str) -> None:
    """Hold the rows of the products whose links change (see the module docstring)."""
    list(
        Product.objects.using(using).select_for_update(no_key=True)
        .filter(pk__in=set(product_ids)).order_by("pk").values_list("pk", flat=True)
    )


def _category_ids_of(product_id: int, using: str) -> list[int]:
    return list(
        _Links.objects.using(using).filter(product_id=product_id)
        .values_list("category_id", flat=True)
    )


def _on_product_saved(sender: Any, instance: Any, created: bool, using: str,
                      **kwargs: Any) -> None:
    if created:
        return  # no categories yet
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not COUNTED_FIELDS & set(update_fields):
        return
    recount_categories(_category_ids_of(instance.pk, using), using=using)


def _before_product_deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    # The links are deleted by cascade, without m2m_changed.
    instance._marketplace_facet_categories = _category_ids_of(instance.pk, using)


def _after_product_deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    recount_categories(getattr(instance, "_marketplace_facet_categories", []), using=using)


def _on_links_changed(sender: Any, instance: Any, action: str, reverse: bool,
                      pk_set: set[int] | None, using: str, **kwargs: Any) -> None:
    if action == "pre_clear":
        # Which rows go is unknown once they are gone.
        if reverse:
            instance._marketplace_facet_cleared = list(
                _Links.objects.using(using).filter(category_id=instance.pk)
                .values_list("product_id", flat=True))
        else:
            instance._marketplace_facet_cleared = _category_ids_of(instance.pk, using)
        return
    if action == "post_clear":
        changed = getattr(instance, "_marketplace_facet_cleared", [])
    elif action in ("post_add", "post_remove"):
        changed = list(pk_set or [])
    else:
        return
    if not changed:
        return
    if reverse:  # instance is a category, changed are products
        with transaction.atomic(using=using, savepoint=False):
            _lock_products(changed, using)
            recount_categories([instance.pk], using=using)
    else:  # instance is a product, changed are categories
        with transaction.atomic(using=using, savepoint=False):
            _lock_products([instance.pk], using)
            recount_categories(changed, using=using)


def connect_signals() -> None:
    """Connect the receivers (idempotent: each has a ``dispatch_uid``)."""
    post_save.connect(_on_product_saved, sender=Product,
                      dispatch_uid="marketplace_core.catalog.facets.saved")
    pre_delete.connect(_before_product_deleted, sender=Product,
                       dispatch_uid="marketplace_core.catalog.facets.pre_delete")
    post_delete.connect(_after_product_deleted, sender=Product,
                        dispatch_uid="marketplace_core.catalog.facets.post_delete")
    m2m_changed.connect(_on_links_changed, sender=_Links,
                        dispatch_uid="marketplace_core.catalog.facets.links")
