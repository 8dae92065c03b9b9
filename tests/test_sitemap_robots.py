"""``/sitemap.xml`` (an index of pages of public addresses) and ``/robots.txt``."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from marketplace_core.catalog.models import Product
from marketplace_core.catalog.storefronts import storefront_slug
from marketplace_core.people.models import SellerProfile
from marketplace_core.roles import revoke_seller

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "https://shop.example.com"


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": SITE}


def xml_of(response) -> ElementTree.Element:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return ElementTree.fromstring(body)  # noqa: S314  (our own sitemap)


def locations(root: ElementTree.Element, tag: str) -> list[str]:
    return [node.text or "" for node in root.findall(f"sm:{tag}/sm:loc", NS)]


def every_url(client, index_path: str = "/sitemap.xml") -> list[str]:
    index = xml_of(client.get(index_path))
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    found = []
    for page in locations(index, "sitemap"):
        assert "/sitemap-" in page
        found += locations(xml_of(client.get(page.removeprefix(SITE))), "url")
    return found


def test_the_sitemap_lists_only_public_addresses(client, make_seller, make_product,
                                                 make_category):
    ada, paused = make_seller(name="Ada"), make_seller(name="Paused")
    maps = make_category(seller=ada, name="Maps")
    make_category(seller=ada, name="Empty")
    make_product(seller=ada, slug="star-maps").categories.add(maps)
    draft = make_product(seller=ada, slug="draft-maps", status=Product.Status.DRAFT)
    draft.categories.add(make_category(seller=ada, name="Drafts only"))
    make_product(seller=ada, slug="retired", is_active=False)
    make_product(seller=paused, slug="paused-pack")
    for seller in (ada, paused):
        storefront_slug(SellerProfile.objects.get(pk=seller.pk), seller)
    revoke_seller(paused)
    assert sorted(every_url(client)) == sorted([
        f"{SITE}/products/star-maps/",
        f"{SITE}/products/paused-pack/",  # still on sale: only the storefront closes
        f"{SITE}/products/?category=maps",
        f"{SITE}/sellers/ada/",
    ])


def test_products_carry_their_last_change(client, make_product):
    product = make_product(slug="dated")
    page = xml_of(client.get("/sitemap-products-1.xml"))
    [lastmod] = [node.text for node in page.findall("sm:url/sm:lastmod", NS)]
    assert lastmod == product.updated_at.date().isoformat()


def test_large_catalogs_are_split_into_pages_of_the_configured_size(
        client, settings, make_seller, make_product, django_assert_num_queries):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITEMAP_PAGE_SIZE": 3}
    seller = make_seller()
    products = [make_product(seller=seller) for _ in range(7)]
    with django_assert_num_queries(3):  # the highest id of each section
        index = xml_of(client.get("/sitemap.xml"))
    pages = [url for url in locations(index, "sitemap") if "-products-" in url]
    # Pages of ids 1-3, 4-6, ... up to the highest (PostgreSQL's ids go on
    # from earlier tests).
    count = -(-products[-1].pk // 3)
    assert pages == [f"{SITE}/sitemap-products-{n}.xml" for n in range(1, count + 1)]
    listed = []
    for page in pages[(products[0].pk - 1) // 3:]:  # those that can hold these products
        with django_assert_num_queries(1):
            urls = locations(xml_of(client.get(page.removeprefix(SITE))), "url")
        assert len(urls) <= 3
        listed += urls
    assert listed == [f"{SITE}{product.get_absolute_url()}" for product in products]
    # Past the end: a valid, empty page; an unknown section or page 0: 404.
    assert locations(xml_of(client.get(f"/sitemap-products-{count + 1}.xml")), "url") == []
    assert client.get("/sitemap-widgets-1.xml").status_code == 404
    assert client.get("/sitemap-products-0.xml").status_code == 404


def test_robots_allows_the_shop_and_closes_private_paths(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    closed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    assert {"/account/", "/accounts/", "/seller/", "/products/*/buy/",
            "/products/*/download/", "/downloads/", "/payments/", "/receipts/",
            "/api/v1/"} <= closed
    assert not {"/products/", "/sellers/", "/"} & closed
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


@pytest.mark.urls("tests.urls_shop")
def test_under_a_mount_every_address_stays_in_the_shop(client, make_seller, make_product):
    seller = make_seller(name="Ada")
    product = make_product(seller=seller, slug="charts")
    urls = every_url(client, "/shop/sitemap.xml")
    assert f"{SITE}/shop/products/charts/" in urls and f"{SITE}/shop/sellers/ada/" in urls
    assert all(url.startswith(f"{SITE}/shop/") for url in urls)
    lines = client.get("/shop/robots.txt").content.decode().splitlines()
    assert "Allow: /shop/" in lines and "Disallow: /shop/seller/" in lines
    assert f"Sitemap: {SITE}/shop/sitemap.xml" in lines
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'href="/shop/sellers/ada/"' in html
    assert f'<link rel="canonical" href="{SITE}/shop/products/charts/">' in html
    html = client.get("/shop/sellers/ada/").content.decode()
    assert 'action="/shop/sellers/ada/"' in html


@pytest.mark.parametrize("section", ["products", "categories", "sellers"])
def test_a_page_no_database_integer_can_hold_is_a_404_not_an_error_mid_stream(
        client, make_product, section, django_assert_num_queries):
    make_product()
    assert client.get(f"/sitemap-{section}-1.xml").status_code == 200
    with django_assert_num_queries(0):
        assert client.get(f"/sitemap-{section}-4611686018427387904.xml").status_code == 404
    last = (2**63 - 2) // 50_000  # the highest page whose ids fit, at the default size
    response = client.get(f"/sitemap-{section}-{last}.xml")
    assert response.status_code == 200 and b"</urlset>" in b"".join(response.streaming_content)
