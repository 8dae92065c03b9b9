"""Catalog: categories owned by sellers and the products they sell."""

from __future__ import annotations

import unicodedata
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace_core.catalog.links import product_url
from marketplace_core.media.storage import COVERS, GALLERY, media_storage, new_image_name
from marketplace_core.money import CURRENCY_RE, format_money, validate_currency
from marketplace_core.storage.backends import product_file_key, product_storage
from marketplace_core.storage.uploads import truncate_utf8, utf8_length

#: The highest download limit a seller may set per purchase.
MAX_DOWNLOAD_LIMIT = 10_000
#: The longest link lifetime a seller may set: seven days (what S3 presigning allows).
MAX_LINK_LIFETIME_MINUTES = 7 * 24 * 60

#: A buyer's file name travels percent-encoded in Content-Disposition (and, for
#: presigned links, encoded once more in the redirect's Location): this bound
#: keeps that header within the 4 KiB a proxy buffers by default.
MAX_DISPLAY_NAME_BYTES = 300


class Category(models.Model):
    """A seller's own grouping of products (seller-managed taxonomy)."""

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                "seller", Lower("name"), name="marketplace_category_name_per_seller"
            ),
            models.UniqueConstraint(
                fields=["seller", "slug"], name="marketplace_category_slug_per_seller"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryFacet(models.Model):
    """How many buyable products a category holds: what the storefront's category
    filter lists, without a join over products per request.

    Kept exact in the transaction of every change by :mod:`.facets` (a row
    appears the first time one of the category's products changes); deleted
    with its category.
    """

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="facet"
    )
    #: Published, active products in the category.
    published_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.category_id}: {self.published_count}"


def display_file_name(name: str) -> str:
    """The name a buyer's browser saves the file under: the seller's own file
    name (spaces, accents and brackets kept), without any folder, control
    characters or surrounding blanks, in NFC, at most 200 characters and
    :data:`MAX_DISPLAY_NAME_BYTES` UTF-8 bytes, keeping an extension of up to 16."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    cleaned = unicodedata.normalize("NFC", cleaned).strip().strip(".") or "file"
    if len(cleaned) > 200 or utf8_length(cleaned) > MAX_DISPLAY_NAME_BYTES:
        stem, dot, extension = cleaned.rpartition(".")
        suffix = f".{extension}" if dot and len(extension) <= 16 else ""
        body = (stem if suffix else cleaned)[: 200 - len(suffix)]
        budget = MAX_DISPLAY_NAME_BYTES - utf8_length(suffix)
        cleaned = truncate_utf8(body, budget).rstrip() + suffix
    return cleaned


def product_file_path(instance: Product, filename: str) -> str:
    """An unguessable storage key that keeps a sanitized original file name,
    short enough for the configured store (:func:`product_file_key`)."""
    return product_file_key(filename)


def cover_image_path(instance: Product, filename: str) -> str:
    """A fresh ``covers/<uuid4 hex>.<ext>`` (the seller's file name is not kept)."""
    return new_image_name(COVERS, PurePath(filename).suffix.lstrip(".").lower() or "jpg")


def gallery_image_path(instance: ProductImage, filename: str) -> str:
    """A fresh ``gallery/<uuid4 hex>.<ext>`` (the seller's file name is not kept)."""
    return new_image_name(GALLERY, PurePath(filename).suffix.lstrip(".").lower() or "jpg")


class ProductQuerySet(models.QuerySet["Product"]):
    def published(self) -> ProductQuerySet:
        """Products buyers may see and buy: published and active."""
        return self.filter(status=Product.Status.PUBLISHED, is_active=True)

    def search(self, q: str) -> ProductQuerySet:
        """Products matching every word of ``q`` (as a prefix) in the title, category
        names or description, most relevant first; unchanged when ``q`` has no words.

        Uses the database's full-text engine (:mod:`marketplace_core.catalog.search`).
        """
        from marketplace_core.catalog.search import search_products

        return search_products(self, q)


class Product(models.Model):
    """A digital product: a deliverable file sold at a fixed price."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="products"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    #: Price in the currency's minor unit (cents for USD).
    price = models.PositiveIntegerField(_("price"), validators=[MinValueValidator(0)])
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[RegexValidator(CURRENCY_RE, _("Use a three-letter ISO 4217 code."))],
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    is_active = models.BooleanField(_("active"), default=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    file = models.FileField(
        _("file"), storage=product_storage, upload_to=product_file_path, max_length=500,
        blank=True,
    )
    #: The name the buyer's browser saves the file under.
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_updated_at = models.DateTimeField(null=True, blank=True)
    #: On the public media storage, re-encoded without metadata (``media.validation``);
    #: its size and variants are on this row so product cards need no other query.
    cover_image = models.FileField(_("cover image"), storage=media_storage,
                                   upload_to=cover_image_path, max_length=200, blank=True)
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    #: ``media.variants``' record of the cover's smaller copies; ``None`` until made.
    cover_variants = models.JSONField(null=True, blank=True, editable=False)
    #: How many gallery images the product has, kept by ``catalog.images`` under the
    #: product's row lock: the product page reads the gallery only when there is one
    #: (a query fewer for most products).
    gallery_size = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    #: How many download links one purchase may get; ``None``: unlimited.
    download_limit = models.PositiveIntegerField(
        _("downloads per purchase"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DOWNLOAD_LIMIT)],
    )
    #: How long one download link works, in minutes; ``None``: the site's setting.
    link_lifetime_minutes = models.PositiveIntegerField(
        _("link lifetime (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LINK_LIFETIME_MINUTES)],
    )
    #: The names of the product's categories, one per line: denormalized so that the
    #: full-text index covers them (kept current by ``catalog.search_document``; see
    #: :func:`category_names_by_product`).
    category_names = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The storefront's newest-first lists, read in index order on SQLite and
            # PostgreSQL (plans in docs/performance.md). The booleans come after the
            # order: a filter on a boolean is a bare column to SQLite, not an equality
            # its planner can seek on, so a leading one would force a sort.
            models.Index(fields=["status", "-created_at", "-id", "is_active"],
                         name="marketplace_product_newest"),
            models.Index(fields=["status", "-created_at", "-id", "is_active"],
                         condition=models.Q(is_featured=True),
                         name="marketplace_product_featured"),
            # A seller's storefront and "More from this seller": their newest buyable
            # products, read in index order whatever the size of the catalog.
            models.Index(fields=["seller", "status", "-created_at", "-id", "is_active"],
                         name="marketplace_product_by_seller"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A stale in-memory copy must not overwrite the names the category signals wrote.
        update_fields = kwargs.get("update_fields")
        writes_names = update_fields is None or "category_names" in update_fields
        if writes_names and not self._state.adding and self.pk is not None:
            using = kwargs.get("using")
            self.category_names = category_names_by_product(self.pk, using=using)[self.pk]
        cover_applied = self.__dict__.pop("_cover_applied", False)
        if (update_fields is None and not self._state.adding and self.pk is not None
                and not kwargs.get("force_insert")):
            # Nor what others write with update(): the gallery's size (catalog.images,
            # under the row lock) and the cover's variants (the variants task), unless
            # this save sets a new cover (catalog.images.apply_cover clears them).
            kept = {"gallery_size"} | (set() if cover_applied else {"cover_variants"})
            kwargs["update_fields"] = [field.name for field in self._meta.concrete_fields
                                       if not field.primary_key and field.name not in kept]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return product_url(self.slug)  # reverse() once per site, not per product

    @property
    def gallery_images(self) -> Any:
        """The gallery in order (:class:`ProductImage` rows), without a query when
        :attr:`gallery_size` says there is none."""
        return self.images.all() if self.gallery_size else ()

    def clean(self) -> None:
        """Only a currency in use (so the admin refuses "XXQ" as the seller's form does)."""
        super().clean()
        if CURRENCY_RE.match(self.currency or ""):  # else the field's own validator says why
            try:
                validate_currency(self.currency)
            except ValidationError as error:
                raise ValidationError({"currency": error.error_list}) from None

    @property
    def is_buyable(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.is_active

    @property
    def category_name_list(self) -> list[str]:
        """The names of the product's categories, sorted, read from the stored
        ``category_names`` (no query)."""
        return [name for name in self.category_names.split(CATEGORY_NAMES_SEPARATOR) if name]

    @property
    def price_display(self) -> str:
        return format_money(self.price, self.currency)

    def set_file(self, uploaded: Any, *, original_name: str | None = None) -> None:
        """Attach a new deliverable file (saved with the product)."""
        self.file = uploaded
        self.file_name = display_file_name(original_name or getattr(uploaded, "name", "") or "")
        self.file_size = getattr(uploaded, "size", None)
        self.file_updated_at = timezone.now()


class ProductFileVersion(models.Model):
    """One uploaded file of a product; the newest (highest ``number``) is what
    buyers get by default, and ``Product.file`` points at it (a cached copy kept
    by :mod:`marketplace_core.catalog.file_versions`)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="file_versions")
    #: 1, 2, 3, ... per product, in upload order (never reused after a deletion).
    number = models.PositiveIntegerField()
    #: What the seller calls it ("1.2.0"); ``str(number)`` when they gave none.
    label = models.CharField(_("version"), max_length=40)
    file = models.FileField(storage=product_storage, upload_to=product_file_path,
                            max_length=500)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    #: Markdown, rendered sanitized (``marketplace_markdown``).
    release_notes = models.TextField(_("release notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"],
                                    name="marketplace_file_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.label}"


class VersionEmailOptOut(models.Model):
    """A buyer asked not to be emailed about new versions of a seller's products."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["buyer", "seller"],
                                    name="marketplace_version_email_opt_out"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer_id} opted out of {self.seller_id}'s updates"


#: Between two category names in ``Product.category_names``.
CATEGORY_NAMES_SEPARATOR = "\n"


def category_names_by_product(*product_ids: int, using: str | None = None) -> dict[int, str]:
    """``{product id: its category names as Product.category_names stores them}``
    for each id, in one query (names sorted, one per line)."""
    ids = set(product_ids)
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    rows = (
        Product.categories.through.objects.using(using or "default")
        .filter(product_id__in=ids)
        .order_by("category__name", "category_id")
        .values_list("product_id", "category__name")
    )
    for product_id, name in rows:
        names[product_id].append(name)
    return {pk: CATEGORY_NAMES_SEPARATOR.join(values) for pk, values in names.items()}


class ProductImage(models.Model):
    """One picture of a product's gallery (after its cover), on the public media storage.

    At most ``MARKETPLACE["GALLERY_MAX_IMAGES"]`` per product (``catalog.images``
    holds the product's row lock while counting).
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(storage=media_storage, upload_to=gallery_image_path,
                             max_length=200)
    #: Order in the gallery, smallest first.
    position = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(_("description"), max_length=200, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    #: ``media.variants``' record of the image's smaller copies; ``None`` until made.
    variants = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} image {self.position}"
