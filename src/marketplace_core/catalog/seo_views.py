"""``/sitemap.xml`` and ``/robots.txt``: what search engines may read and where.

The sitemap is an index (``/sitemap.xml``) of pages, each at most
``MARKETPLACE["SITEMAP_PAGE_SIZE"]`` addresses (the protocol's limit is 50,000):
``sitemap-<section>-<n>.xml`` lists the public addresses of one section whose
rows have ids in the ``n``-th range of that size. Pages are ranges of ids, not
offsets: a page costs one query that reads its range from the primary key, the
index costs one ``MAX(id)`` per section, and a page is streamed as it is read,
so no request holds more than a page's rows, whatever the size of the catalog.

Sections: ``products`` (published, active products), ``categories`` (the
catalog filtered to a category slug with buyable products) and ``sellers``
(active sellers' storefronts, once they have an address). Addresses are
absolute on ``MARKETPLACE["SITE_URL"]`` (:func:`.seo.absolute`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.db.models import Max, Model
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from marketplace_core.api import API_PREFIX
from marketplace_core.catalog.links import product_url
from marketplace_core.catalog.models import CategoryFacet, Product
from marketplace_core.catalog.seo import absolute
from marketplace_core.conf import conf
from marketplace_core.people.models import SellerProfile

XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: How long a crawler (or a proxy) may keep a sitemap or robots.txt, in seconds.
MAX_AGE = 3600
#: Rows read from the database at a time while a page streams.
CHUNK = 2000

#: One sitemap entry: the path and when it last changed (``None``: unknown).
Entry = tuple[str, datetime | None]


def _products(low: int, high: int) -> Iterator[Entry]:
    rows = (Product.objects.published().filter(pk__gte=low, pk__lt=high).order_by("pk")
            .values_list("slug", "updated_at"))
    for slug, updated_at in rows.iterator(chunk_size=CHUNK):
        yield product_url(slug), updated_at


def _categories(low: int, high: int) -> Iterator[Entry]:
    # A slug shared by several sellers' categories is one address (the catalog
    # filter lists them together); said once per page.
    slugs = (CategoryFacet.objects.filter(published_count__gt=0, pk__gte=low, pk__lt=high)
             .order_by("category__slug").values_list("category__slug", flat=True).distinct())
    catalog = reverse("marketplace:product_list")
    for slug in slugs.iterator(chunk_size=CHUNK):
        yield f"{catalog}?{urlencode({'category': slug})}", None


def _sellers(low: int, high: int) -> Iterator[Entry]:
    rows = (SellerProfile.objects.filter(active=True, slug__isnull=False,
                                         pk__gte=low, pk__lt=high)
            .order_by("pk").values_list("slug", flat=True))
    for slug in rows.iterator(chunk_size=CHUNK):
        yield reverse("marketplace:seller_storefront", kwargs={"slug": slug}), None


#: The highest id a database integer (SQLite's, PostgreSQL's bigint) can hold.
MAX_ID = 2**63 - 1

#: Section name: (the model whose ids make the pages, its entries in an id range).
SECTIONS: dict[str, tuple[type[Model], Callable[[int, int], Iterator[Entry]]]] = {
    "products": (Product, _products),
    "categories": (CategoryFacet, _categories),
    "sellers": (SellerProfile, _sellers),
}


def page_count(model: type[Model], size: int) -> int:
    """How many pages of ``size`` ids a section spans (at least one)."""
    highest = model._default_manager.aggregate(highest=Max("pk"))["highest"] or 0
    return max(1, -(-int(highest) // size))


def _cached(response: HttpResponse | StreamingHttpResponse) -> Any:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The sitemap index: every page of every section (one query per section)."""
    size = conf.SITEMAP_PAGE_SIZE
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{XMLNS}">']
    for section, (model, _) in SECTIONS.items():
        for number in range(1, page_count(model, size) + 1):
            path = reverse("marketplace:sitemap_page",
                           kwargs={"section": section, "page": number})
            lines.append(f"<sitemap><loc>{escape(absolute(request, path))}</loc></sitemap>")
    lines.append("</sitemapindex>\n")
    return _cached(HttpResponse("\n".join(lines), content_type="application/xml; charset=utf-8"))


@require_safe
def sitemap_page(request: HttpRequest, section: str, page: int) -> StreamingHttpResponse:
    """Page ``page`` of ``section``: the public addresses of the rows with ids in
    its range, streamed (404 for an unknown section, a page number of 0, or one whose
    ids no database integer can hold: checked before the response starts, where the
    database would fail in the middle of the stream; a page past the end is empty)."""
    size = conf.SITEMAP_PAGE_SIZE
    if section not in SECTIONS or page < 1 or page * size + 1 > MAX_ID:
        raise Http404("No such sitemap.")
    entries = SECTIONS[section][1]((page - 1) * size + 1, page * size + 1)
    base = absolute(request, "/")
    return _cached(StreamingHttpResponse(_urlset(entries, base),
                                         content_type="application/xml; charset=utf-8"))


def _urlset(entries: Iterable[Entry], base: str) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{XMLNS}">\n'
    root = base.rstrip("/")
    for path, changed in entries:
        lastmod = f"<lastmod>{changed.date().isoformat()}</lastmod>" if changed else ""
        yield f"<url><loc>{escape(root + path)}</loc>{lastmod}</url>\n"
    yield "</urlset>\n"


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read the shop (home, catalog, product pages, storefronts), not
    the account, panel, checkout, payment, receipt and download addresses; the
    sitemap index is named."""
    root = reverse("marketplace:home")
    closed = [
        reverse("marketplace:customer_profile").rsplit("profile/", 1)[0],  # account/
        f"{root}accounts/",
        reverse("marketplace:seller_dashboard"),  # seller/
        f"{root}products/*/buy/",
        f"{root}products/*/download/",
        f"{root}downloads/",
        f"{root}payments/",
        f"{root}receipts/",
        f"{root}updates/",
        f"{root}{API_PREFIX}",
    ]
    lines = ["User-agent: *", f"Allow: {root}",
             *(f"Disallow: {path}" for path in closed),
             f"Sitemap: {absolute(request, reverse('marketplace:sitemap'))}", ""]
    return _cached(HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8"))
