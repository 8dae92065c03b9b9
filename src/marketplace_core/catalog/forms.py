"""The seller's product and category forms: input checks and clear field errors.

Forms validate and prepare; :mod:`marketplace_core.catalog.services` saves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace_core.catalog import services
from marketplace_core.catalog.file_versions import VersionDetails
from marketplace_core.catalog.models import Category, Product
from marketplace_core.currency_widgets import CurrencySelect
from marketplace_core.forms_rendering import MarketplaceForm, MarketplaceModelForm, say_when_empty
from marketplace_core.media.validation import ACCEPT, ValidatedImage, validate_image
from marketplace_core.money import exponent, to_decimal, validate_currency

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Largest price in minor units (``Product.price`` is a positive 32-bit integer).
MAX_PRICE = 2_147_483_647


class ProductForm(MarketplaceModelForm):
    """Title, address, description, price, currency, categories, the file (a new
    version, with its label, release notes and whether to email past buyers),
    the download limit and the link lifetime.

    ``seller`` limits the category choices to the seller's own; ``publish``
    says which button was pressed (a published product needs a file). The
    price is typed in the currency's main unit (``19.99``) and stored in minor
    units. The file is checked by the configured storage backend's
    ``validate_upload`` and handed to the service as ``cleaned_data["file"]``.
    """

    price = forms.DecimalField(
        label=_("Price"), min_value=Decimal(0), max_digits=14, decimal_places=3,
        help_text=_("In the currency's main unit, for example 19.99."),
    )
    file = forms.FileField(
        label=_("File"), required=False,
        help_text=_("What buyers download. A new file becomes the latest version; "
                    "buyers can still download the earlier ones."),
    )
    version_label = forms.CharField(
        label=_("Version"), required=False, max_length=40,
        help_text=_("For the file you upload, for example 1.2.0. Leave empty to number "
                    "versions 1, 2, 3…"),
    )
    release_notes = forms.CharField(
        label=_("Release notes"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What changed in this file, in Markdown. Buyers see them on their "
                    "download page."),
    )
    notify_buyers = forms.BooleanField(
        label=_("Email past buyers about this version"), required=False,
        help_text=_("Sent in the background to everyone who owns the product, except "
                    "buyers who unsubscribed from your updates."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"), queryset=Category.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cover_image = forms.FileField(
        label=_("Cover image"), required=False,
        # A plain input: the current cover is shown beside it, "remove" is its own box.
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_("Shown on the product's card and first on its page. JPEG, PNG, WebP "
                    "or GIF; its location and camera details are removed."),
    )
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)

    field_order = ["title", "slug", "description", "price", "currency", "categories",
                   "cover_image", "remove_cover", "file",
                   "version_label", "release_notes", "notify_buyers", "download_limit",
                   "link_lifetime_minutes"]

    class Meta:
        model = Product
        # "price" is declared above (main units), so it is not constructed from the model.
        fields = ["title", "slug", "description", "currency", "categories", "download_limit",
                  "link_lifetime_minutes"]
        widgets = {"currency": CurrencySelect()}
        labels = {"slug": _("Address"), "download_limit": _("Downloads per purchase"),
                  "link_lifetime_minutes": _("Link lifetime (minutes)")}
        help_texts = {
            "slug": _("The product's address in the shop (letters, digits and hyphens). "
                      "Leave empty to make one from the title."),
            "download_limit": _("How many times each buyer may download (any version). "
                                "Leave empty for no limit."),
            "link_lifetime_minutes": _("How long each download link works, 1 to 10080 "
                                       "minutes (7 days). Leave empty for the site's "
                                       "default."),
        }

    def __init__(self, *args: Any, seller: User, publish: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seller = seller
        self.publish = publish
        self.fields["slug"].required = False
        categories = self.fields["categories"]
        assert isinstance(categories, forms.ModelMultipleChoiceField)
        categories.queryset = Category.objects.filter(seller_id=seller.pk)
        say_when_empty(categories, format_html(
            str(_('You have no categories yet. <a href="{url}">Create one</a>.')),
            url=reverse("marketplace:seller_category_create")))
        if self.instance.pk is not None:
            self.initial["price"] = to_decimal(self.instance.price, self.instance.currency)
        else:  # a new product has no past buyers
            del self.fields["notify_buyers"]
        if not self.instance.cover_image:
            del self.fields["remove_cover"]

    def clean_currency(self) -> str:
        code = (self.cleaned_data.get("currency") or "").strip().upper()
        validate_currency(code)
        return code

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug") or ""
        others = Product.objects.filter(slug=slug)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if slug and others.exists():
            raise forms.ValidationError(
                _("Another product already uses this address; choose another one."),
                code="slug_taken",
            )
        return slug

    def clean_file(self) -> Any:
        from marketplace_core.plugins.registry import storage_backend

        uploaded = self.cleaned_data.get("file")
        if uploaded:
            # The buyer's download keeps the seller's own name; the storage key
            # gets the backend's sanitized one.
            uploaded.original_name = uploaded.name
            # May raise ValidationError (empty, too large, type not allowed).
            uploaded.name = storage_backend().validate_upload(uploaded)
        return uploaded or None

    def clean_cover_image(self) -> ValidatedImage | None:
        """The cover checked and re-encoded (``media.validation``); nothing is stored
        by the form."""
        uploaded = self.cleaned_data.get("cover_image")
        return validate_image(uploaded) if uploaded else None

    def version_details(self) -> VersionDetails:
        """The label and notes typed for the uploaded file (after validation)."""
        return VersionDetails(label=self.cleaned_data.get("version_label") or "",
                                       release_notes=self.cleaned_data.get("release_notes") or "")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        title = cleaned.get("title")
        if title and not cleaned.get("slug") and "slug" not in self.errors:
            cleaned["slug"] = services.unique_product_slug(title, exclude_pk=self.instance.pk)
        price, currency = cleaned.get("price"), cleaned.get("currency")
        if price is not None and currency:
            places = exponent(currency)
            minor = price.scaleb(places)
            if minor != minor.to_integral_value():
                self.add_error("price", forms.ValidationError(
                    _("%(currency)s prices have at most %(places)s decimal places."),
                    code="price_precision", params={"currency": currency, "places": places},
                ))
            elif minor > MAX_PRICE:
                self.add_error("price", forms.ValidationError(_("This price is too high."),
                                                              code="price_too_high"))
            else:
                self.instance.price = int(minor)
        if (self.publish and "file" not in self.errors and not cleaned.get("file")
                and not self.instance.file):
            self.add_error("file", forms.ValidationError(
                _("Upload the file buyers will download before publishing."),
                code="file_required",
            ))
        return cleaned


class CategoryForm(MarketplaceModelForm):
    """A category name, unique among the seller's categories in any letter case."""

    class Meta:
        model = Category
        fields = ["name"]

    def __init__(self, *args: Any, seller: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seller = seller

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if services.name_taken(self.seller, name, exclude_pk=self.instance.pk):
            raise forms.ValidationError(
                _("You already have a category named “%(name)s”."),
                code="name_taken", params={"name": name},
            )
        return name


class GalleryImageForm(MarketplaceForm):
    """One image added to a product's gallery, with its description (the ``alt`` text)."""

    prefix = "gallery"

    image = forms.FileField(label=_("Image"),
                            widget=forms.FileInput(attrs={"accept": ACCEPT}),
                            help_text=_("JPEG, PNG, WebP or GIF; its location and camera "
                                        "details are removed."))
    alt_text = forms.CharField(
        label=_("Description"), required=False, max_length=200,
        help_text=_("What the picture shows, for people who cannot see it."),
    )

    def clean_image(self) -> ValidatedImage:
        return validate_image(self.cleaned_data["image"])
