"""A seller's storefront, ``/sellers/<slug>/``: who they are and their buyable
products, with the catalog's search, category filter and pagination; and the
seller panel's page where they change its address, bio and avatar."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.generic import FormView

from marketplace_core.catalog import facets, seo
from marketplace_core.catalog.models import Product
from marketplace_core.catalog.pagination import PreparedList
from marketplace_core.catalog.storefronts import (
    MAX_SLUG_LENGTH,
    storefront_slug,
    update_storefront,
    validate_storefront_slug,
)
from marketplace_core.catalog.views import ProductListView
from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.media.avatars import avatar_image
from marketplace_core.media.validation import ACCEPT, ValidatedImage
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.people.models import SellerProfile
from marketplace_core.people.names import display_name
from marketplace_core.people.records import seller_profile


class SellerStorefrontView(ProductListView):
    """The catalog narrowed to one active seller (404 for an unknown or paused one).

    It overrides :meth:`listed`, so core's kept category counts are not used
    for it (``_lists_as_core``) and its list is counted itself, within the
    paginator's window, from the seller's newest-first index
    (``marketplace_product_by_seller``). Its first page is not compiled once per
    class (:meth:`prepared_list`): the seller changes with every request. The
    category filter offers the seller's own categories. Queries: the seller
    with their name's row, the page with its count, the seller's categories.
    """

    template_name = "marketplace_core/catalog/storefront.html"

    @cached_property
    def seller(self) -> SellerProfile:
        profile = (SellerProfile.objects.select_related("user", "user__marketplace_account")
                   .filter(slug=self.kwargs["slug"], active=True).first())
        if profile is None:
            raise Http404("No seller found.")
        return profile

    def listed(self, categories: Sequence[str]) -> QuerySet[Product]:
        return super().listed(categories).filter(seller_id=self.seller.pk)

    def prepared_list(self, using: str, known_count: int | None = None) -> PreparedList | None:
        return None

    def category_choices(self) -> Sequence[dict[str, Any]]:
        """The seller's categories with buyable products (their kept counts)."""
        return cast("Sequence[dict[str, Any]]", SimpleLazyObject(lambda: list(
            facets.category_choices(self._database).filter(category__seller_id=self.seller.pk))))

    def list_url(self) -> str:
        return reverse("marketplace:seller_storefront", kwargs={"slug": self.seller.slug})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        name = display_name(self.seller.user)
        context.update(seller=self.seller, seller_name=name,
                       seller_summary=seo.summary(self.seller.bio),
                       seller_initials="".join(word[0] for word in name.split()[:2]).upper())
        return context


class StorefrontForm(MarketplaceForm):
    """The seller's storefront address and bio (:func:`.storefronts.validate_storefront_slug`)
    and avatar (:func:`~marketplace_core.media.avatars.avatar_image`: a refused
    picture is a form error and nothing is stored)."""

    slug = forms.CharField(
        label=_("Storefront address"), max_length=MAX_SLUG_LENGTH,
        help_text=_("Lowercase letters, numbers and hyphens, as in /sellers/ada-maps/."))
    bio = forms.CharField(
        label=_("About you"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few lines for your storefront. Markdown: **bold**, *italic*, links."))
    avatar = forms.FileField(
        label=_("Avatar"), required=False, widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_("A picture of you or your brand: JPEG, PNG, WebP or GIF, cropped to a square."))
    remove_avatar = forms.BooleanField(label=_("Remove the avatar"), required=False)

    def __init__(self, *args: Any, seller_id: Any, has_avatar: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seller_id = seller_id
        if not has_avatar:
            del self.fields["remove_avatar"]

    def clean_avatar(self) -> ValidatedImage | None:
        uploaded = self.cleaned_data.get("avatar")
        return avatar_image(uploaded) if uploaded else None

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).strip().lower()
        validate_storefront_slug(slug, seller_id=self.seller_id)
        return slug


class SellerStorefrontSettingsView(SellerPanelMixin, FormView):
    """The seller panel's "Storefront" page: change the storefront address and
    bio (the address is made from the seller's name the first time they come)."""

    form_class = StorefrontForm
    template_name = "marketplace_core/seller/storefront_settings.html"
    panel_nav_key = "seller-storefront"

    @cached_property
    def profile(self) -> SellerProfile:
        profile = seller_profile(self.request.user)
        assert profile is not None  # SellerPanelMixin let only sellers in
        storefront_slug(profile, self.request.user)
        return profile

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(seller_id=self.profile.pk, has_avatar=bool(self.profile.avatar))
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"slug": self.profile.slug, "bio": self.profile.bio}

    def get_success_url(self) -> str:
        return self.request.path

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        url = reverse("marketplace:seller_storefront", kwargs={"slug": self.profile.slug})
        context.update(storefront_url=url, storefront_address=seo.absolute(self.request, url),
                       profile=self.profile)
        return context

    def form_valid(self, form: StorefrontForm) -> HttpResponse:
        data = form.cleaned_data
        if not update_storefront(self.profile, slug=data["slug"], bio=data["bio"],
                                 avatar=data.get("avatar"),
                                 remove_avatar=bool(data.get("remove_avatar"))):
            form.add_error("slug", _("Another seller has this address: choose another."))
            return self.form_invalid(form)
        messages.success(self.request, _("Your storefront has been saved."))
        return super().form_valid(form)
