"""Storefront pages: home, product list (search, category filter, HTMX) and product detail."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast
from urllib.parse import urlencode

from django.core.paginator import Page
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.generic import DetailView, ListView, TemplateView

from marketplace_core.catalog import facets, seo
from marketplace_core.catalog.models import (
    Category,
    Product,
    ProductFileVersion,
    ProductQuerySet,
)
from marketplace_core.catalog.page_cache import CachedStorefrontPage, owned_product_ids
from marketplace_core.catalog.pagination import (
    PreparedList,
    RankedPaginator,
    WindowPaginator,
    requested_page,
)
from marketplace_core.catalog.search import search_terms
from marketplace_core.catalog.storefronts import storefront_url
from marketplace_core.conf import conf
from marketplace_core.people.names import display_name
from marketplace_core.people.records import person_related
from marketplace_core.prepared import prepared
from marketplace_core.safe_markdown import render_markdown


@dataclass(frozen=True)
class Testimonial:
    """A marketing quote from ``MARKETPLACE["TESTIMONIALS"]`` (checked by E028)."""

    quote: str
    author: str
    role: str = ""


class HomePageView(CachedStorefrontPage, TemplateView):
    """Featured and newest buyable products, and the site's testimonials.

    Testimonials are settings, not rows: rendering them costs no query. A site
    can also replace the ``testimonials`` block of the template.
    """

    template_name = "marketplace_core/catalog/home.html"
    featured_count = 6
    latest_count = 8

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["featured_products"] = self.products(featured=True, count=self.featured_count)
        context["latest_products"] = self.products(featured=False, count=self.latest_count)
        context["testimonials"] = [Testimonial(**item) for item in conf.TESTIMONIALS]
        return context

    @staticmethod
    def products(*, featured: bool, count: int) -> list[Product]:
        """The newest ``count`` buyable products (only featured ones if ``featured``),
        with their sellers: a query compiled once per process (its SQL never
        changes; compiling it was about a third of a page rendered afresh)."""
        def build(_: Any) -> QuerySet[Product]:
            products = Product.objects.published().select_related(*person_related("seller"))
            return (products.filter(is_featured=True) if featured else products)[:count]

        query = prepared(("home", featured, count, Product.objects.all().db), build, None)
        return query.all() if query is not None else list(build(None))


_SLUG = re.compile(r"^[-\w]{1,100}$")
#: The slug a single category's first page is compiled with (each request binds its own).
PREPARED_SLUG = "prepared-category-slug"

MAX_SELECTED_CATEGORIES = 20
#: The id a product page's queries by seller or product are compiled with (no row has it).
PREPARED_ID = -7


@dataclass(frozen=True)
class CatalogFilters:
    """What the visitor asked for: the search words and the chosen category slugs."""

    q: str
    categories: tuple[str, ...]

    @classmethod
    def from_query(cls, params: Any) -> CatalogFilters:
        q = " ".join(params.get("q", "").split())[:200]
        slugs: list[str] = []
        for value in params.getlist("category"):
            value = value.strip()
            if _SLUG.match(value) and value not in slugs:
                slugs.append(value)
        return cls(q=q, categories=tuple(slugs[:MAX_SELECTED_CATEGORIES]))

    def query_string(self, **extra: Any) -> str:
        """The filters (and ``extra``) as a query string, for links that keep them."""
        pairs: list[tuple[str, Any]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs.extend(("category", slug) for slug in self.categories)
        pairs.extend((key, value) for key, value in extra.items() if value is not None)
        return urlencode(pairs)


class ProductListView(CachedStorefrontPage, ListView):
    """Published, active products: full-text search ``q``, a multi-select category
    filter (``category=<slug>``, repeated; a product in any of them matches) and
    pagination.

    One template serves both kinds of request. It extends ``base_template``: the
    site's base for a normal request, and a shell that renders only the
    ``results`` block for an HTMX request aimed at ``#results`` (django-htmx's
    ``request.htmx``). Responses vary on ``HX-Request`` so a browser never shows
    a cached fragment as a page. The number of queries does not depend on the
    number of products shown.
    """

    template_name = "marketplace_core/catalog/product_list.html"
    page_base_template = "marketplace_core/base.html"
    results_base_template = "marketplace_core/catalog/_results_only.html"
    results_target = "results"
    context_object_name = "products"
    page_cache_params = ("q", "category", "page")

    def get_paginate_by(self, queryset: QuerySet[Product]) -> int:
        return conf.PRODUCTS_PER_PAGE

    def paginate_queryset(
        self, queryset: Any, page_size: int
    ) -> tuple[WindowPaginator, Page, list[Product], bool]:
        """The page and its count from one query (:class:`WindowPaginator`; two past
        page 1: the ids, then their rows; a category's count from the kept facet
        counts when they give it, :meth:`known_count`), or for a search from two
        (:class:`RankedPaginator`: the best of a window of matches); a page number
        that is not one shows page 1, one past the end the last page."""
        number = requested_page(self.request.GET.get(self.page_kwarg))
        paginator: WindowPaginator
        # A page's rows by id, compiled once per view class (a subclass may read them
        # its own way).
        rows_key = ("product rows", self._compiled_as(), queryset.db)
        if search_terms(self.filters.q):
            paginator = RankedPaginator(queryset, page_size, number=number, q=self.filters.q,
                                        rows=self.product_rows(), rows_key=rows_key)
        else:
            known = self.known_count()
            paginator = WindowPaginator(
                queryset, page_size, number=number, rows=self.product_rows(),
                # Building it cost 0.25 ms; a known count counts nothing.
                counting=None if known is not None else self._counting(self.filters.categories),
                prepared_list=self.prepared_list(queryset.db, known),
                known_count=known, rows_key=rows_key)
        page = paginator.fetch(number)
        return paginator, page, list(page.object_list), page.has_other_pages()

    @cached_property
    def filters(self) -> CatalogFilters:
        return CatalogFilters.from_query(self.request.GET)

    def product_rows(self) -> ProductQuerySet:
        """Products as a page shows them (with their seller's name)."""
        return Product.objects.select_related(*person_related("seller"))

    def get_queryset(self) -> QuerySet[Product]:
        """The listed products, newest first; a search narrows and ranks them in
        :meth:`paginate_queryset`."""
        return self.listed(self.filters.categories)

    def listed(self, categories: Sequence[str]) -> QuerySet[Product]:
        """Buyable products in any of ``categories`` (all of them when empty), newest first."""
        queryset = self.product_rows().published()
        if categories:
            # EXISTS rather than a join: no duplicates, no DISTINCT.
            in_category = Product.categories.through.objects.filter(
                product_id=OuterRef("pk"), category__slug__in=categories
            )
            queryset = queryset.filter(Exists(in_category))
        return queryset

    def counting(self, categories: Sequence[str] | None = None) -> QuerySet[Any] | None:
        """What the paginator counts for a category filter (``categories``, by
        default the visitor's): the chosen categories' links to buyable products,
        read from the links' category index. Counting the list itself walked the
        newest-first index and probed every product's links until the window
        filled (about 37,000 products for a category holding 2.7 % of 100,000:
        15 ms on SQLite). ``None``: count the list."""
        categories = self.filters.categories if categories is None else categories
        if not categories:
            return None
        # The product in EXISTS, not joined: given a join, SQLite without
        # statistics still drove the count from the newest-first index.
        buyable = Product.objects.published().filter(pk=OuterRef("product_id"))
        links = Product.categories.through.objects.filter(
            Exists(buyable), category__slug__in=categories)
        return links.order_by().values("product_id").distinct()

    def known_count(self) -> int | None:
        """How many products a category filter lists, from the kept facet counts
        (:meth:`category_choices`), so that nothing counts them: none when no chosen
        slug has buyable products; that slug's count when one has and a single
        category holds it (the categories of several sellers sharing a slug could
        share a product, which the list shows once). ``None``: count the list.

        Counting a category's buyable products read each of its links' product
        (8 ms on PostgreSQL for a category of 2.5 % of 100,000), and a slug that
        matched nothing walked the whole newest-first list probing each product."""
        categories = self.filters.categories
        if not categories or not self._lists_as_core():
            return None
        chosen = [choice for choice in self._choices if choice["slug"] in categories]
        if not chosen:
            # No category of those slugs at all: nothing to list. One whose products
            # are all drafts (or whose count a bulk write left stale) is counted.
            exists = Category.objects.using(self._database).filter(slug__in=categories).exists()
            return None if exists else 0
        if len(chosen) == 1 and chosen[0]["categories"] == 1:
            return int(chosen[0]["products"])
        return None

    def _lists_as_core(self) -> bool:
        """Whether this view lists what core's does (what the kept counts and
        :meth:`counting` count)."""
        cls = type(self)
        return all(getattr(cls, name) is getattr(ProductListView, name)
                   for name in ("get_queryset", "listed", "product_rows"))

    def _counting(self, categories: Sequence[str]) -> QuerySet[Any] | None:
        """:meth:`counting`, unless a subclass lists otherwise and left it as core's:
        its list is then counted itself."""
        if self._lists_as_core() or type(self).counting is not ProductListView.counting:
            return self.counting(categories)
        return None

    def _compiled_as(self) -> str:
        """The view class, in the names of its queries compiled once: a subclass's
        ``listed``, ``counting`` or ``product_rows`` are compiled as its own."""
        return f"{type(self).__module__}.{type(self).__qualname__}"

    @cached_property
    def _database(self) -> str:
        """The database the list is read from (the kept counts are read there too)."""
        return Product.objects.all().db

    def prepared_list(self, using: str, known_count: int | None = None) -> PreparedList | None:
        """How page 1 is compiled once per process: the unfiltered list (its SQL is
        the same for everyone) and a single category's (the slug bound in the
        list's ``EXISTS`` and, unless ``known_count`` is given, its count's);
        building and compiling that one cost 2.2 ms, more than SQLite takes to
        answer it at 100,000 products. ``None``
        for several categories (their number shapes the SQL) and in a subclass
        that overrides :meth:`get_queryset` (the ORM then runs its queryset); one
        that overrides :meth:`listed`, :meth:`counting` or :meth:`product_rows` has
        them compiled once for its class, so they must not depend on the request
        but for ``categories``."""
        categories = self.filters.categories
        if type(self).get_queryset is not ProductListView.get_queryset:
            return None
        if not categories:
            return PreparedList(("catalog", self._compiled_as(), using),
                                lambda _: (self.listed(()), None))
        if len(categories) > 1:
            return None
        counted = known_count is None
        return PreparedList(
            ("catalog category", self._compiled_as(), using),
            lambda slug: (self.listed((slug,)), self._counting((slug,)) if counted else None),
            field=Category._meta.get_field("slug"), placeholder=PREPARED_SLUG,
            value=categories[0], occurrences=2 if counted else 1)

    def category_choices(self) -> Sequence[dict[str, Any]]:
        """Category slugs with at least one buyable product, a display name and how
        many products (:func:`facets.category_choices`: the kept counts, no join
        over products).

        Sellers' categories with the same slug are one choice. Lazy: a results-only
        response without a category filter never runs it.
        """
        return cast("Sequence[dict[str, Any]]", SimpleLazyObject(lambda: self._choices))

    @cached_property
    def _choices(self) -> list[dict[str, Any]]:
        # Its SQL never changes: compiled once per process.
        using = self._database
        query = prepared(("category choices", using),
                         lambda _: facets.category_choices(using), None)
        return query.all() if query is not None else list(facets.category_choices(using))

    def is_results_request(self) -> bool:
        htmx = getattr(self.request, "htmx", None)
        return bool(
            htmx and htmx.target == self.results_target and not htmx.history_restore_request
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        filters = self.filters
        context.update(
            q=filters.q,
            selected_categories=filters.categories,
            category_choices=self.category_choices(),
            base_template=(
                self.results_base_template if self.is_results_request()
                else self.page_base_template
            ),
            results_only=self.is_results_request(),
            filters_query=filters.query_string(),
            previous_page_url=(
                f"?{filters.query_string(page=page.previous_page_number())}"
                if page.has_previous() else None
            ),
            next_page_url=(
                f"?{filters.query_string(page=page.next_page_number())}"
                if page.has_next() else None
            ),
            list_url=self.list_url(),
            canonical_url=seo.canonical_url(
                self.request, self.list_url(),
                {"q": filters.q, "category": filters.categories, "page": page.number}),
        )
        return context

    def list_url(self) -> str:
        """Where the filters form and its links go: this list's own address."""
        return reverse("marketplace:product_list")

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ("HX-Request",))
        return response


class ProductDetailView(CachedStorefrontPage, DetailView):
    """A product page that knows whether to offer Buy, Download or Log in.

    Drafts and inactive products are 404 for everyone but their seller, who
    sees them with a preview banner. Besides the product (one query with its
    seller and the seller's profile) the page reads its newest file version and
    a few more of the seller's products: three queries whatever the size of the
    seller's catalog, and none while the page cache holds the page.
    """

    template_name = "marketplace_core/catalog/product_detail.html"
    context_object_name = "product"
    #: How many of the seller's other products the page shows.
    more_from_seller_count = 4

    def get_queryset(self) -> QuerySet[Product]:
        # The category names come from the product row (category_name_list).
        return Product.objects.select_related(*person_related("seller"),
                                              "seller__marketplace_seller")

    def get_object(self, queryset: QuerySet[Product] | None = None) -> Product:
        """The product of the slug, with its seller (a query compiled once per
        process, run with the slug); 404 for a draft or inactive product unless
        the visitor is its seller."""
        query = None if queryset is not None else prepared(
            ("product page", Product.objects.all().db),
            lambda slug: self.get_queryset().filter(slug=slug)[:1],
            Product._meta.get_field("slug"), "prepared-slug")
        if query is None:
            product: Product = super().get_object(queryset)
        else:
            product = query.first(self.kwargs[self.slug_url_kwarg])
            if product is None:
                raise Http404("No product found.")
        if not product.is_buyable and product.seller_id != self.request.user.pk:
            raise Http404("No product found.")
        return product

    def more_from_seller(self, product: Product) -> list[Product]:
        """The seller's newest other buyable products (one query compiled once per
        process, read in the seller's index order; the product itself is dropped
        here rather than in SQL, so the seller is the query's only value)."""
        count = self.more_from_seller_count

        def build(seller_id: Any) -> QuerySet[Product]:
            return (Product.objects.published().filter(seller_id=seller_id)
                    .select_related(*person_related("seller"))[: count + 1])

        query = prepared(("more from seller", count, Product.objects.all().db), build,
                         Product._meta.get_field("seller"), PREPARED_ID)
        rows = query.all(product.seller_id) if query is not None else list(
            build(product.seller_id))
        return [row for row in rows if row.pk != product.pk][:count]

    @staticmethod
    def newest_version(product: Product) -> ProductFileVersion | None:
        """The product's newest file version (one query compiled once per process)."""
        def build(product_id: Any) -> QuerySet[ProductFileVersion]:
            return ProductFileVersion.objects.filter(product_id=product_id).order_by(
                "-number")[:1]

        query = prepared(("newest version", ProductFileVersion.objects.all().db), build,
                         ProductFileVersion._meta.get_field("product"), PREPARED_ID)
        return query.first(product.pk) if query is not None else build(product.pk).first()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        product: Product = self.object
        request = self.request
        seller_url = storefront_url(product.seller)
        url = seo.absolute(request, product.get_absolute_url())
        image = (seo.absolute(request, product.cover_image.url)
                 if product.cover_image else "")
        latest = self.newest_version(product)
        description = render_markdown(product.description)
        notes = render_markdown(latest.release_notes if latest else "")
        context.update(
            # owns_product is asked only when the page is rendered for this visitor
            # (never by the page cache's shell, which fills the Buy / Download part
            # from the ids it keeps for them), as the page cache asks: one query per
            # request for both.
            is_preview=not product.is_buyable, owns_product=SimpleLazyObject(
                lambda: product.pk in owned_product_ids(request, among=[product.pk])),
            seller_url=seller_url,
            latest_version=latest,
            notes_html=notes, notes_excerpt=seo.text_of(notes, 120),
            file_type=file_type(latest.file_name if latest else product.file_name),
            updated_at=(product.file_updated_at or (latest.created_at if latest else None)
                        or product.updated_at),
            price_amount=seo.decimal_price(product),
            more_from_seller=self.more_from_seller(product),
            # Rendered once for the page, its preview tags and its JSON-LD.
            description_html=description,
            canonical_url=url, page_image=image,
            page_summary=seo.text_of(description),
            json_ld=seo.json_for_script(seo.product_json_ld(
                product, url=url, seller_name=display_name(product.seller),
                seller_url=seo.absolute(request, seller_url) if seller_url else "",
                image=image, description=seo.text_of(description, 500))),
        )
        return context


def file_type(file_name: str) -> str:
    """What a buyer gets, as its extension reads ("ZIP", "PDF"); "" without one."""
    stem, dot, extension = file_name.rpartition(".")
    return extension.upper() if dot and stem and 0 < len(extension) <= 8 else ""
