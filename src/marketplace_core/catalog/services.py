"""The only writers of products and categories on behalf of sellers.

Each function runs in one transaction and enforces the catalog's rules; views
and forms only collect input. Rules:

- A seller changes only their own products and categories, and a product's
  categories must be its seller's.
- A published product has a file to deliver.
- ``product_saved(product, created)`` is emitted for every save and delivered
  after commit (the Dodo plugin syncs products from it).
- A new deliverable does not replace the old one: each upload is kept as a
  version (:mod:`marketplace_core.catalog.file_versions`), and buyers may
  download any of them. A deleted version's file is removed from storage only
  after every download link issued for it can have expired.
- A product someone bought is never deleted: its buyers keep their access
  and the orders stay for accounting. The seller can unpublish it instead.
  Plugins veto other deletions through ``validate_product_delete``.
- Deleting a category leaves its products in place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from marketplace_core.catalog.file_deletion import schedule_file_deletion
from marketplace_core.catalog.file_versions import VersionDetails, record_upload
from marketplace_core.catalog.images import (
    after_cover_saved,
    apply_cover,
    discard_unsaved,
    image_names_of,
    schedule_image_deletion,
)
from marketplace_core.catalog.models import Category, Product
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import Order, PurchasedProduct
from marketplace_core.plugins.events import emit
from marketplace_core.storage.backends import (
    StorageUnavailable,
    product_storage,
)
from marketplace_core.transactions import after_commit

if TYPE_CHECKING:
    from marketplace_core.media.validation import ValidatedImage
    from marketplace_core.people.types import User

logger = logging.getLogger("marketplace_core.catalog")

_SLUG_MAX = Product._meta.get_field("slug").max_length or 220

#: What ``Product.set_file`` changes.
_FILE_FIELDS = ("file", "file_name", "file_size", "file_updated_at")
_COVER_FIELDS = ("cover_width", "cover_height", "cover_variants")

STORAGE_UNAVAILABLE_MESSAGE = (
    "The file store cannot be reached right now, so nothing was saved. "
    "Please try again in a minute (choose the file again)."
)


# -------------------------------------------------------------------------
# slugs
# -------------------------------------------------------------------------


def _free_slug(base: str, taken: set[str], max_length: int) -> str:
    base = base[:max_length].strip("-") or "item"
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].strip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _unique_slug(text: str, fallback: str, others: QuerySet[Any], max_length: int,
                 exclude_pk: int | None) -> str:
    """A slug for ``text`` that none of ``others`` (but ``exclude_pk``) uses."""
    base = (slugify(text) or fallback)[: max_length - 8]
    others = others.filter(slug__startswith=base)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = set(others.values_list("slug", flat=True))
    return _free_slug(base, taken, max_length)


def unique_product_slug(title: str, *, exclude_pk: int | None = None) -> str:
    """A slug for ``title`` that no other product uses (``guide``, ``guide-2``...)."""
    return _unique_slug(title, "product", Product.objects.all(), _SLUG_MAX, exclude_pk)


def unique_category_slug(seller: User, name: str, *, exclude_pk: int | None = None) -> str:
    """A slug for category ``name`` unique among ``seller``'s categories."""
    max_length = Category._meta.get_field("slug").max_length or 100
    return _unique_slug(name, "category", Category.objects.filter(seller_id=seller.pk),
                        max_length, exclude_pk)


# -------------------------------------------------------------------------
# stored files
# -------------------------------------------------------------------------


def _discard(name: str) -> None:
    """Delete a file stored by a save that then failed (best effort)."""
    try:
        product_storage().delete(name)
    except Exception:
        logger.exception("Could not delete orphaned file %r", name)


# -------------------------------------------------------------------------
# products
# -------------------------------------------------------------------------


def _forget_unsaved(instance: Product | Category) -> None:
    """Make an instance whose insert was rolled back unsaved again."""
    instance.pk = None
    instance._state.adding = True


def _check_categories(seller: User, categories: Iterable[Category]) -> list[Category]:
    chosen = list(categories)
    if any(category.seller_id != seller.pk for category in chosen):
        raise Rejected("Choose among your own categories.", code="foreign_category")
    return chosen


def save_product(
    product: Product,
    *,
    seller: User,
    publish: bool,
    categories: Iterable[Category] | None = None,
    upload: Any = None,
    version: VersionDetails | None = None,
    notify_buyers: bool = False,
    cover: ValidatedImage | None = None,
    remove_cover: bool = False,
) -> Product:
    """Create or update ``product`` for ``seller``, as a draft or published.

    ``product`` carries the edited fields (new or loaded from the database);
    ``categories`` replaces its categories when given; ``upload`` (a Django
    ``File``, stored under ``upload.name``) becomes its newest file version
    when given, labelled and annotated by ``version``; the earlier files stay
    as older versions. With ``notify_buyers``, past buyers are emailed about
    the new version after commit (``catalog.version_emails``). ``cover`` (checked
    by ``media.validation``) replaces the cover image, ``remove_cover`` clears it;
    the old cover's files go after commit (``catalog.images``). An empty slug
    is made from the title. Raises
    :class:`Rejected` (``not_owner``, ``foreign_category``, ``file_required``,
    ``slug_taken``, and ``storage_unavailable`` when the file store cannot be
    reached); nothing is changed then: no row, no stored file.
    """
    created = product._state.adding
    if created:
        product.seller = seller
    elif product.seller_id != seller.pk:
        raise Rejected("This is not your product.", code="not_owner")
    chosen = _check_categories(seller, categories) if categories is not None else None
    if publish and upload is None and not product.file:
        raise Rejected("Upload the file buyers will download before publishing.",
                       code="file_required")
    if not product.slug:
        product.slug = unique_product_slug(product.title, exclude_pk=product.pk)
    product.status = Product.Status.PUBLISHED if publish else Product.Status.DRAFT
    replaced = product.file.name if (upload is not None and product.file) else None
    current_file = {field: getattr(product, field) for field in _FILE_FIELDS}
    # The name, not the FieldFile: storing a new cover renames that same object.
    current_cover = {"cover_image": product.cover_image.name or "",
                     **{field: getattr(product, field) for field in _COVER_FIELDS}}
    try:
        with transaction.atomic():
            apply_cover(product, cover, remove=remove_cover)
            if upload is not None:
                product.set_file(
                    upload,
                    original_name=getattr(upload, "original_name", None)
                    or getattr(upload, "name", None),
                )
            if publish and product.published_at is None:
                # After set_file: a file uploaded with the first publication is
                # not an update (the "Updated" badge compares the two).
                product.published_at = timezone.now()
            product.save()
            after_cover_saved(product, cover)
            if chosen is not None:
                product.categories.set(chosen)
            if upload is not None:
                recorded = record_upload(product, previous=current_file if replaced else None,
                                         details=version or VersionDetails(), upload=upload)
                if notify_buyers and not created:
                    from marketplace_core.catalog.version_emails import schedule_version_emails

                    after_commit(schedule_version_emails, recorded.pk)
            emit("product_saved", product=product, created=created)
    except BaseException as exc:
        # The upload is written to storage while the row is saved; the rollback
        # cannot take it back, so remove it here.
        stored = product.file.name if getattr(product.file, "_committed", False) else None
        if upload is not None and stored and stored != replaced:
            _discard(stored)
        if cover is not None and product.cover_image.name != current_cover["cover_image"]:
            discard_unsaved(product.cover_image.name or "")
        for field, value in current_cover.items():
            setattr(product, field, value)
        if created:  # the row was rolled back: keep the instance unsaved
            _forget_unsaved(product)
        else:  # the page shown next names the file buyers still get
            for field, value in current_file.items():
                setattr(product, field, value)
        if isinstance(exc, IntegrityError) and (
            Product.objects.filter(slug=product.slug).exclude(pk=product.pk).exists()
        ):
            raise Rejected("Another product already uses this address.",
                           code="slug_taken") from exc
        if isinstance(exc, StorageUnavailable):
            logger.warning("File store unreachable; product %s not saved: %s",
                           product.slug, exc)
            raise Rejected(STORAGE_UNAVAILABLE_MESSAGE, code="storage_unavailable") from exc
        raise
    return product


def unpublish_product(product: Product, *, seller: User) -> Product:
    """Make ``product`` a draft again: hidden from the storefront, kept for its buyers."""
    if product.seller_id != seller.pk:
        raise Rejected("This is not your product.", code="not_owner")
    with transaction.atomic():
        product.status = Product.Status.DRAFT
        product.save(update_fields=["status", "updated_at"])
        emit("product_saved", product=product, created=False)
    return product


def deletion_blocker(product: Product) -> Rejected | None:
    """Why core refuses to delete ``product``, or ``None`` (plugins not asked).

    Sold products (any purchase, even a refunded one) and products with
    orders (kept for accounting) are refused with an offer to unpublish.
    """
    buyers = PurchasedProduct.objects.filter(product_id=product.pk).count()
    if buyers:
        people = "1 buyer" if buyers == 1 else f"{buyers} buyers"
        return Rejected(
            f"“{product.title}” has been sold ({people}). Deleting it would take it away "
            "from the people who paid for it, so it stays. Unpublish it instead: it "
            "disappears from the shop and its buyers can still download it.",
            code="sold",
        )
    if Order.objects.filter(product_id=product.pk).exists():
        return Rejected(
            f"“{product.title}” has checkout records (orders) that must be kept for "
            "accounting, so it cannot be deleted. Unpublish it instead: it disappears "
            "from the shop.",
            code="has_orders",
        )
    return None


def deletion_refusal(product: Product, *, actor: User) -> Rejected | None:
    """Why deleting ``product`` is refused now: :func:`deletion_blocker`, then
    the plugins' ``validate_product_delete``; ``None`` when nothing objects.

    No lock and no write: the confirmation page uses it to explain a refusal
    before the seller presses Delete; :func:`delete_product` asks it again
    under the row lock.
    """
    from marketplace_core.plugins.manager import get_plugin_manager

    blocker = deletion_blocker(product)
    if blocker is not None:
        return blocker
    try:
        get_plugin_manager().hook.validate_product_delete(product=product, actor=actor)
    except Rejected as exc:
        return exc
    return None


def delete_product(product: Product, *, actor: User) -> None:
    """Delete ``product`` and, after commit, its stored file.

    Refused with :class:`Rejected` when it is not the actor's (``not_owner``),
    when :func:`deletion_refusal` objects (core's ``sold`` or ``has_orders``,
    or a plugin's ``validate_product_delete``). The product row is locked, so
    a checkout starting at the same moment either comes first (and the
    deletion is refused) or finds no product.
    """
    with transaction.atomic():
        locked = Product.objects.select_for_update().filter(pk=product.pk).first()
        if locked is None:
            return
        if locked.seller_id != actor.pk:
            raise Rejected("This is not your product.", code="not_owner")
        refusal = deletion_refusal(locked, actor=actor)
        if refusal is not None:
            raise refusal
        names = {locked.file.name, *locked.file_versions.values_list("file", flat=True)}
        images = image_names_of(locked)
        locked.delete()
        for image, width in images:
            after_commit(schedule_image_deletion, image, width)
        for name in sorted(name for name in names if name):
            # Nobody owns it, so no download link was ever issued: delete at once.
            after_commit(schedule_file_deletion, name, countdown=0)


# -------------------------------------------------------------------------
# categories
# -------------------------------------------------------------------------


def name_taken(seller: User, name: str, *, exclude_pk: int | None = None) -> bool:
    """Whether ``seller`` has another category called ``name`` (case-insensitive)."""
    same = Category.objects.filter(seller_id=seller.pk, name__iexact=name.strip())
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    return same.exists()


def save_category(category: Category, *, seller: User) -> Category:
    """Create or rename ``category`` for ``seller``; the slug follows a new name.

    Raises :class:`Rejected` ``name_taken`` when the seller has a category of
    that name in any letter case (the database constraint decides races), and
    ``not_owner`` for another seller's category.
    """
    if category._state.adding:
        category.seller = seller
    elif category.seller_id != seller.pk:
        raise Rejected("This is not your category.", code="not_owner")
    category.name = category.name.strip()
    category.slug = unique_category_slug(seller, category.name, exclude_pk=category.pk)
    created = category._state.adding
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        if created:
            _forget_unsaved(category)
        if name_taken(seller, category.name, exclude_pk=category.pk):
            raise Rejected(f"You already have a category named “{category.name}”.",
                           code="name_taken") from exc
        raise
    return category


def delete_category(category: Category, *, seller: User) -> int:
    """Delete ``category``; its products stay, without it. Returns how many it held."""
    if category.seller_id != seller.pk:
        raise Rejected("This is not your category.", code="not_owner")
    with transaction.atomic():
        held = category.products.count()
        category.delete()
    return held
