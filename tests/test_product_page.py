"""The product page: the seller's Markdown rendered safely, file facts and what
changed, "More from this seller", link-preview tags, JSON-LD and its canonical
address, in a constant number of queries."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from marketplace_core.catalog.models import Product, ProductFileVersion
from marketplace_core.catalog.versions import bump_catalog_version
from marketplace_core.prepared import _prepared
from marketplace_core.testing.factories import logged_in
from tests.test_catalog import titles

pytestmark = pytest.mark.django_db


class Head(HTMLParser):
    """The ``<meta>``, ``<link rel>`` and JSON-LD of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "link" and "rel" in values:
            self.links[values["rel"]] = values.get("href", "")
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld[-1] += data


def head_of(html: str) -> Head:
    parser = Head()
    parser.feed(html)
    return parser


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def site(settings) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com"}


class Elements(HTMLParser):
    """Every element of a fragment with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def test_markdown_description_is_rendered_and_sanitized(client, make_product):
    product = make_product(title="Brushes", description=(
        "**Bold** words and a [good link](https://example.com).\n\n"
        "<script>alert('x')</script>\n\n"
        "[bad link](javascript:alert(1))\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        '<a href="https://example.com" onclick="steal()">raw link</a>'))
    html = client.get(product.get_absolute_url()).content.decode()
    description = html.split('class="description">', 1)[1].split("</section>", 1)[0]
    found = elements(description)
    assert "<strong>Bold</strong>" in description
    assert ("a", {"href": "https://example.com", "rel": "nofollow noopener noreferrer"}) in found
    tags = {tag for tag, _ in found}
    assert tags <= {"p", "strong", "a", "div"}, tags  # no script, no img
    attributes = {name for _, attrs in found for name in attrs}
    assert not {name for name in attributes if name.startswith("on")}
    assert not [attrs for _, attrs in found if "javascript" in attrs.get("href", "")]
    # The raw HTML shows as text, harmless.
    assert "&lt;script&gt;alert" in description
    # The page's only scripts are the site's own and the JSON-LD.
    scripts = [attrs for tag, attrs in elements(html) if tag == "script"]
    assert all(attrs.get("src") or attrs.get("type") == "application/ld+json"
               for attrs in scripts)


def test_file_facts_and_what_changed_in_the_newest_version(client, make_product):
    product = make_product(title="Maps", file_name="atlas.zip", content=b"x" * 2048)
    ProductFileVersion.objects.create(product=product, number=1, label="1.0", file="a",
                                      file_name="atlas.zip", file_size=1024)
    ProductFileVersion.objects.create(
        product=product, number=2, label="2.0", file="b", file_name="atlas.zip",
        file_size=2048, release_notes="Added **twelve** new maps.\n\n<script>x()</script>")
    bump_catalog_version()
    html = client.get(product.get_absolute_url()).content.decode()
    assert re.search(r'data-testid="file-facts">ZIP · 2.0\xa0KB<', html)
    assert '<dd data-testid="version">2.0</dd>' in html
    notes = html.split('data-testid="whats-new"', 1)[1].split("</details>", 1)[0]
    assert ("What changed in 2.0:</strong> <span class=\"notes-excerpt\">Added twelve new maps."
            in notes)
    assert "<strong>twelve</strong>" in notes and "<script>x()" not in notes
    assert "Last updated" in html


def test_the_seller_name_links_to_their_storefront(client, make_seller, make_product):
    seller = make_seller(name="Ada Lovelace")
    product = make_product(seller=seller)
    html = client.get(product.get_absolute_url()).content.decode()
    assert '<a href="/sellers/ada-lovelace/" data-testid="seller-link">Ada Lovelace</a>' in html
    assert client.get("/sellers/ada-lovelace/").status_code == 200


def test_more_from_this_seller_shows_only_their_other_published_products(
        client, make_seller, make_product):
    ada, bo = make_seller(name="Ada"), make_seller(name="Bo")
    product = make_product(seller=ada, title="Main Pack")
    make_product(seller=ada, title="Ada One")
    make_product(seller=ada, title="Ada Draft", status=Product.Status.DRAFT)
    make_product(seller=ada, title="Ada Retired", is_active=False)
    make_product(seller=bo, title="Bo Thing")
    make_product(seller=ada, title="Ada Two")
    html = client.get(product.get_absolute_url()).content.decode()
    assert titles(section(html, "more-from-seller")) == ["Ada Two", "Ada One"]


def test_a_seller_with_one_product_shows_no_more_section(client, make_product):
    html = client.get(make_product().get_absolute_url()).content.decode()
    assert 'data-testid="more-from-seller"' not in html


def test_link_preview_tags_and_canonical_address(client, site, make_seller, make_product):
    product = make_product(seller=make_seller(name="Ada"), title="Star Charts", price=1250,
                           currency="EUR", slug="star-charts",
                           description="Charts of **every** star.\n\nSecond paragraph.")
    html = client.get(f"{product.get_absolute_url()}?utm_source=news&page=1").content.decode()
    head = head_of(html)
    url = "https://shop.example.com/products/star-charts/"
    assert head.links["canonical"] == url
    assert head.meta["og:url"] == url
    assert head.meta["og:type"] == "product"
    assert head.meta["og:title"] == head.meta["twitter:title"] == "Star Charts"
    assert head.meta["og:description"] == "Charts of every star. Second paragraph."
    assert head.meta["twitter:card"] == "summary"
    assert head.meta["product:price:amount"] == "12.50"
    assert head.meta["product:price:currency"] == "EUR"


def test_json_ld_is_a_product_with_its_offer(client, site, make_seller, make_product,
                                              make_category):
    seller = make_seller(name="Ada")
    product = make_product(seller=seller, title="Star Charts", price=1999, slug="charts")
    product.categories.add(make_category(seller=seller, name="Maps"))
    head = head_of(client.get(product.get_absolute_url()).content.decode())
    [raw] = head.json_ld
    data = json.loads(raw)
    assert data["@type"] == "Product" and data["name"] == "Star Charts"
    assert data["category"] == "Maps"
    assert data["offers"] == {
        "@type": "Offer", "price": "19.99", "priceCurrency": "USD",
        "availability": "https://schema.org/InStock",
        "url": "https://shop.example.com/products/charts/",
        "seller": {"@type": "Organization", "name": "Ada",
                   "url": "https://shop.example.com/sellers/ada/"},
    }


def test_a_title_cannot_break_out_of_the_json_ld(client, make_seller, make_product):
    seller = make_seller(name="</script><script>alert(1)</script>")
    product = make_product(seller=seller, title='Evil </script><img src=x onerror=alert(1)> "&')
    html = client.get(product.get_absolute_url()).content.decode()
    script = html.split('<script type="application/ld+json">', 1)[1]
    body = script.split("</script>", 1)[0]
    assert "<" not in body and ">" not in body
    data = json.loads(body)
    assert data["name"] == 'Evil </script><img src=x onerror=alert(1)> "&'
    assert data["offers"]["seller"]["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in html


def test_a_preview_is_not_indexed(make_product):
    product = make_product(status=Product.Status.DRAFT)
    html = logged_in(product.seller).get(product.get_absolute_url()).content.decode()
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.by_database
def test_query_count_does_not_grow_with_the_sellers_catalog(
        client, make_seller, make_product, make_user, django_assert_num_queries):
    """The product (with seller and profile), its newest version, more from the
    seller; a seller's storefront address, once made, costs nothing more."""
    seller = make_seller(name="Ada")
    product = make_product(seller=seller)
    client.get(product.get_absolute_url())  # makes the seller's storefront address
    buyer = logged_in(make_user())
    for more in (1, 20):
        for _ in range(more):
            make_product(seller=seller)
        bump_catalog_version()
        with django_assert_num_queries(3):
            html = client.get(product.get_absolute_url()).content.decode()
        assert len(titles(section(html, "more-from-seller"))) == min(more, 4)
        with django_assert_num_queries(0):
            client.get(product.get_absolute_url())
        compiled = {key[0] for key, query in _prepared.items() if query is not None}
        assert {"product page", "more from seller", "newest version"} <= compiled
        bump_catalog_version()
        # + the session and the user with the person's rows; what they own on
        # their first page (then kept for them)
        with django_assert_num_queries(5 + (more == 1)):
            buyer.get(product.get_absolute_url())


def test_cover_images_give_absolute_preview_addresses(rf, settings):
    from marketplace_core.catalog.seo import absolute

    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com"}
    request = rf.get("/")
    assert absolute(request, "/media/covers/a.png") == "https://shop.example.com/media/covers/a.png"
    assert absolute(request, "https://cdn.example.net/a.png") == "https://cdn.example.net/a.png"
    assert absolute(request, "//cdn.example.net/a.png") == "https://cdn.example.net/a.png"


def test_cards_show_a_descriptions_text_without_its_markdown_marks(client, make_product):
    make_product(title="Marked", description="Twelve **bold** charts, a [guide](https://x.y) "
                                             "and `code`.\n\n- one\n- two <b>raw</b>")
    html = client.get("/products/").content.decode()
    excerpt = html.split('class="excerpt">', 1)[1].split("</p>", 1)[0]
    assert excerpt == "Twelve bold charts, a guide and code. one two &lt;b&gt;raw&lt;/b&gt;"
