"""A seller's storefront, ``/sellers/<slug>/``: their name, bio and buyable
products with the catalog's filters and pagination; the seller panel page that
sets its address and bio."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_core.catalog.models import Product
from marketplace_core.catalog.storefronts import storefront_slug
from marketplace_core.catalog.versions import bump_catalog_version
from marketplace_core.media.storage import media_storage
from marketplace_core.people.models import SellerProfile
from marketplace_core.roles import make_seller, revoke_seller
from marketplace_core.testing.factories import logged_in
from tests.media_support import media_root, picture, picture_bytes, png_declaring  # noqa: F401
from tests.test_catalog import titles

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "results"}


def address(seller) -> str:
    profile = SellerProfile.objects.get(pk=seller.pk)
    return f"/sellers/{storefront_slug(profile, seller)}/"


@pytest.fixture
def shop(make_seller, make_product, make_category):
    ada, bo = make_seller(name="Ada Lovelace"), make_seller(name="Bo")
    maps = make_category(seller=ada, name="Maps")
    bo_maps = make_category(seller=bo, name="Maps")
    fonts = make_category(seller=ada, name="Fonts")
    make_product(seller=ada, title="Star Maps").categories.add(maps)
    make_product(seller=ada, title="Sea Maps").categories.add(maps)
    make_product(seller=ada, title="Serif Font").categories.add(fonts)
    make_product(seller=ada, title="Draft Maps", status=Product.Status.DRAFT).categories.add(maps)
    make_product(seller=ada, title="Retired Maps", is_active=False)
    make_product(seller=bo, title="Bo Maps").categories.add(bo_maps)
    return {"ada": ada, "bo": bo}


def test_the_storefront_shows_the_seller_and_only_their_buyable_products(client, shop):
    SellerProfile.objects.filter(pk=shop["ada"].pk).update(
        bio="Maps *and* type.\n\n<script>alert(1)</script>[x](javascript:alert(2))")
    html = client.get(address(shop["ada"])).content.decode()
    assert "<h1>Ada Lovelace</h1>" in html
    assert '<span class="avatar" aria-hidden="true">AL</span>' in html
    assert "<em>and</em>" in html and "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert titles(html) == ["Serif Font", "Sea Maps", "Star Maps"]
    assert "3 products" in html


def test_search_and_category_filters_stay_in_the_storefront(client, shop):
    url = address(shop["ada"])
    html = client.get(url, {"q": "maps"}).content.decode()
    assert sorted(titles(html)) == ["Sea Maps", "Star Maps"]
    assert f'action="{url}"' in html and f'hx-get="{url}"' in html
    html = client.get(url, {"category": "fonts"}).content.decode()
    assert titles(html) == ["Serif Font"]
    # The seller's own categories, counted for them only (Bo's "Maps" is not theirs).
    assert re.findall(r'value="([\w-]+)"[^>]*> (\w+) <span class="muted">\((\d+)\)', html) == [
        ("fonts", "Fonts", "1"), ("maps", "Maps", "2")]
    html = client.get(url, {"category": "maps"}, headers=HTMX).content.decode()
    assert sorted(titles(html)) == ["Sea Maps", "Star Maps"]
    assert "<h1>" not in html  # the results only


def test_pages_of_a_storefront(client, settings, make_seller, make_product):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "PRODUCTS_PER_PAGE": 2}
    seller = make_seller(name="Cy")
    for n in range(5):
        make_product(seller=seller, title=f"Item {n}")
    make_product(title="Someone else's")
    url = address(seller)
    pages = [titles(client.get(url, {"page": n}).content.decode()) for n in (1, 2, 3)]
    assert pages == [["Item 4", "Item 3"], ["Item 2", "Item 1"], ["Item 0"]]
    html = client.get(url, {"page": 2}).content.decode()
    assert 'href="?page=1" rel="prev"' in html and 'href="?page=3" rel="next"' in html
    assert "Page 2 of 3" in html
    assert titles(client.get(url, {"page": 99}).content.decode()) == ["Item 0"]


def test_canonical_address_drops_tracking_and_page_one(client, settings, shop):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com"}
    url = address(shop["ada"])
    html = client.get(url, {"utm_source": "x", "page": "1", "fbclid": "y"}).content.decode()
    assert f'<link rel="canonical" href="https://shop.example.com{url}">' in html
    assert f'<meta property="og:url" content="https://shop.example.com{url}">' in html
    assert '<meta property="og:title" content="Ada Lovelace">' in html
    html = client.get("/products/", {"category": ["maps", "fonts"], "q": "sea",
                                     "gclid": "z"}).content.decode()
    assert ('<link rel="canonical" href="https://shop.example.com/products/'
            '?q=sea&amp;category=fonts&amp;category=maps">') in html


@pytest.mark.parametrize("slug", ["nobody", "UPPER", "a" * 70])
def test_unknown_storefronts_are_404(client, shop, slug):
    assert client.get(f"/sellers/{slug}/").status_code == 404


def test_a_paused_sellers_storefront_is_404_at_once(client, shop):
    url = address(shop["ada"])
    product = Product.objects.filter(seller=shop["ada"]).published().first()
    assert client.get(url).status_code == 200  # now in the page cache
    assert f'href="{url}"' in client.get(product.get_absolute_url()).content.decode()
    revoke_seller(shop["ada"])
    assert client.get(url).status_code == 404
    assert f'href="{url}"' not in client.get(product.get_absolute_url()).content.decode()
    make_seller(shop["ada"])
    assert client.get(url).status_code == 200


@pytest.mark.by_database
def test_query_count_does_not_grow_with_the_sellers_products(
        client, make_seller, make_product, make_category, django_assert_num_queries):
    """The seller with their name's row, the page with its count, the seller's
    categories; from the page cache, none."""
    seller = make_seller(name="Dee")
    shelf = make_category(seller=seller, name="Shelf")
    url = address(seller)
    for size in (1, 30):
        while Product.objects.filter(seller=seller).count() < size:
            make_product(seller=seller).categories.add(shelf)
        make_product()  # another seller's
        bump_catalog_version()
        with django_assert_num_queries(3):
            html = client.get(url).content.decode()
        assert len(titles(html)) == min(size, 24)
        with django_assert_num_queries(0):
            client.get(url)
    bump_catalog_version()
    with django_assert_num_queries(4):  # a later page: its ids, then their rows
        html = client.get(url, {"page": 2, "category": "shelf"}).content.decode()
    assert len(titles(html)) == 6


# ---------------------------------------------------------------------------
# the storefront's address
# ---------------------------------------------------------------------------


def test_a_slug_is_made_from_the_name_and_never_collides(make_seller):
    first, second = make_seller(name="Ana María"), make_seller(name="Ana Maria")
    reserved = make_seller(name="Admin")
    assert address(first) == "/sellers/ana-maria/"
    assert address(second) == "/sellers/ana-maria-2/"
    assert address(reserved) == "/sellers/seller-admin/"
    assert address(first) == "/sellers/ana-maria/"  # kept once made


def test_a_seller_without_a_name_gets_an_address_that_does_not_show_their_email(make_seller):
    seller = make_seller(name="", email="secret.person@example.com")
    slug = SellerProfile.objects.get(pk=seller.pk).slug
    assert slug and slug.startswith("seller-") and "secret" not in slug


def test_the_seller_changes_address_and_bio(make_seller, client):
    seller = make_seller(name="Ada")
    panel = logged_in(seller)
    html = panel.get("/seller/storefront/").content.decode()
    assert 'value="ada"' in html and 'data-nav="seller-storefront" aria-current="page"' in html
    assert '>http://testserver/sellers/ada/</a>' in html
    response = panel.post("/seller/storefront/", {"slug": "ada-maps", "bio": "I draw *maps*."})
    assert response.status_code == 302
    assert client.get("/sellers/ada/").status_code == 404
    html = client.get("/sellers/ada-maps/").content.decode()
    assert "<em>maps</em>" in html


@pytest.mark.parametrize(("slug", "error"), [
    ("sitemap", "is reserved"),
    ("taken-name", "Another seller has this address"),
    ("Not A Slug!", "Use lowercase letters, numbers and hyphens"),
    ("-edge", "Use lowercase letters, numbers and hyphens"),
    ("x", "at least 2 characters"),
    ("", "This field is required"),
])
def test_a_bad_address_is_a_form_error(make_seller, slug, error):
    other = make_seller(name="Taken Name")
    address(other)
    seller = make_seller(name="Ada")
    before = address(seller)
    response = logged_in(seller).post("/seller/storefront/", {"slug": slug, "bio": "New"})
    assert response.status_code == 200
    assert error in response.content.decode()
    profile = SellerProfile.objects.get(pk=seller.pk)
    assert (f"/sellers/{profile.slug}/", profile.bio) == (before, "")


def test_the_storefront_page_is_for_sellers_only(client, make_user):
    assert client.get("/seller/storefront/").status_code == 302
    assert logged_in(make_user()).get("/seller/storefront/").status_code == 403


@pytest.mark.by_database
def test_a_sellers_newest_products_are_read_in_index_order(make_seller, make_product,
                                                           marketplace_db_vendor):
    """The storefront's page and "More from this seller" walk the seller's
    newest-first index (``marketplace_product_by_seller``): no sort of all
    their products, no walk of the whole catalog's list."""
    from django.db import connection

    from marketplace_core.catalog.storefront_views import SellerStorefrontView

    seller, other = make_seller(), make_seller()
    for _ in range(3):
        make_product(seller=seller)
    for _ in range(40):  # the seller is one of many: their index is the short way
        make_product(seller=other)
    view = SellerStorefrontView()
    view.kwargs = {"slug": address(seller).split("/")[2]}
    page = view.listed(())[:24]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        if marketplace_db_vendor == "postgresql":
            # Statistics as they are, not whatever an earlier test's writes left (without
            # them the planner may walk the catalog's newest-first index instead).
            cursor.execute("ANALYZE marketplace_core_product")
            # Tiny tables are read whole and three rows sorted: the question is whether
            # an index gives the order (a Sort stays in the plan, dearer, when none can).
            for knob in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"SET LOCAL {knob} = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "marketplace_product_by_seller" in plan and "Sort" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING INDEX marketplace_product_by_seller" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
    assert len(page) == 3


def test_namesakes_get_the_next_free_number(make_seller):
    slugs = [address(make_seller(name="Ada")) for _ in range(4)]
    assert slugs == ["/sellers/ada/", "/sellers/ada-2/", "/sellers/ada-3/", "/sellers/ada-4/"]


def test_a_common_name_takes_a_free_number_then_a_random_suffix(make_seller):
    """Names try ``ada`` to ``ada-9`` (a slug like "ada-lovelace-fan" is not one of
    them), then a random suffix: a common name never reads every "ada-..." slug."""
    for _ in range(9):
        address(make_seller(name="Ada"))
    SellerProfile.objects.filter(slug="ada-5").update(slug="ada-lovelace-fan")
    tenth = make_seller(name="Ada")  # takes the free ada-5
    assert address(tenth) == "/sellers/ada-5/"
    eleventh = make_seller(name="Ada")
    slug = SellerProfile.objects.get(pk=eleventh.pk).slug
    assert re.fullmatch(r"ada-[0-9a-f]{6}", slug or ""), slug


@pytest.mark.usefixtures("media_root")
def test_the_seller_uploads_replaces_and_removes_an_avatar(make_seller, client,
                                                          django_capture_on_commit_callbacks):
    seller = make_seller(name="Ada Lovelace")
    panel, url = logged_in(seller), address(seller)
    with django_capture_on_commit_callbacks(execute=True):
        response = panel.post("/seller/storefront/", {
            "slug": url.split("/")[2], "bio": "",
            "avatar": picture("me.jpg", size=(600, 400), image_format="JPEG")})
    assert response.status_code == 302
    profile = SellerProfile.objects.get(pk=seller.pk)
    first = profile.avatar.name
    assert first.startswith("avatars/") and first in stored_avatars()
    with media_storage().open(first) as file, Image.open(file) as stored:  # a 256 px square
        assert stored.size == (256, 256) and not stored.getexif()
    html = client.get(url).content.decode()
    assert f'<img class="avatar" src="/media/{first}" alt="" width="256" height="256"' in html
    assert '<span class="avatar"' not in html  # no initials beside the picture
    # A new picture replaces the old one, whose file goes.
    with django_capture_on_commit_callbacks(execute=True):
        panel.post("/seller/storefront/", {"slug": url.split("/")[2], "bio": "",
                                            "avatar": picture("new.png", size=(100, 100))})
    second = SellerProfile.objects.get(pk=seller.pk).avatar.name
    assert second != first and stored_avatars() == {second}
    page = panel.get("/seller/storefront/").content.decode()
    assert "data-current-avatar" in page and "Remove the avatar" in page
    with django_capture_on_commit_callbacks(execute=True):
        panel.post("/seller/storefront/", {"slug": url.split("/")[2], "bio": "",
                                            "remove_avatar": "on"})
    assert not SellerProfile.objects.get(pk=seller.pk).avatar and stored_avatars() == set()
    assert '<span class="avatar" aria-hidden="true">AL</span>' in client.get(url).content.decode()


@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("me.png", b"not a picture at all", content_type="image/png"),
    SimpleUploadedFile("me.jpg", picture_bytes(size=(50, 50)), content_type="image/jpeg"),
    SimpleUploadedFile("bomb.png", png_declaring(60000, 60000), content_type="image/png"),
], ids=["not-an-image", "png-named-jpg", "decompression-bomb"])
def test_a_bad_avatar_is_a_form_error_and_nothing_changes(make_seller, upload):
    seller = make_seller(name="Ada")
    slug = address(seller).split("/")[2]
    response = logged_in(seller).post("/seller/storefront/",
                                      {"slug": "ada-new", "bio": "New", "avatar": upload})
    assert response.status_code == 200
    assert 'data-errors-for="avatar"' in response.content.decode()
    profile = SellerProfile.objects.get(pk=seller.pk)
    assert (profile.slug, profile.bio, profile.avatar.name) == (slug, "", "")
    assert stored_avatars() == set()


def stored_avatars() -> set[str]:
    storage = media_storage()
    return ({f"avatars/{name}" for name in storage.listdir("avatars")[1]}
            if storage.exists("avatars") else set())
