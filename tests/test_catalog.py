"""Storefront pages and the panels: what each visitor sees (seed §1, §3, §5)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.catalog.versions import bump_catalog_version
from marketplace_core.ownership import services
from marketplace_core.testing.factories import buy, logged_in, refund

pytestmark = pytest.mark.django_db

PREVIEW_BANNER = "Preview: this product is a draft or inactive"


def titles(html: str) -> list[str]:
    """Product titles linked from the cards of a listing page."""
    return re.findall(r'<h3><a href="/products/[^"]+/">([^<]+)</a></h3>', html)


def actions(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z]+)"', html)


@pytest.fixture
def shelf(make_seller, make_product):
    """One seller's published, draft and inactive products, and another seller's."""
    seller = make_seller()
    return {
        "seller": seller,
        "published": make_product(seller=seller, title="Watercolour Basics",
                                  description="Brushes, paper and first washes."),
        "draft": make_product(seller=seller, title="Draft Oil Course",
                              status=Product.Status.DRAFT),
        "inactive": make_product(seller=seller, title="Retired Charcoal Pack", is_active=False),
        "other": make_product(title="Python Cheatsheet",
                              description="Every builtin on one watercolour page."),
    }


# ---------------------------------------------------------------------------
# product list and home
# ---------------------------------------------------------------------------


@pytest.mark.smoke
def test_list_shows_only_published_active_products(client, shelf):
    html = client.get("/products/").content.decode()
    assert sorted(titles(html)) == ["Python Cheatsheet", "Watercolour Basics"]
    assert "Draft Oil Course" not in html
    assert "Retired Charcoal Pack" not in html


def test_list_hides_drafts_even_from_their_seller(shelf):
    html = logged_in(shelf["seller"]).get("/products/").content.decode()
    assert sorted(titles(html)) == ["Python Cheatsheet", "Watercolour Basics"]


@pytest.mark.by_database
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("watercolour", ["Python Cheatsheet", "Watercolour Basics"]),  # title or description
        ("BRUSHES", ["Watercolour Basics"]),  # description, any case
        ("cheat", ["Python Cheatsheet"]),
        ("  cheat  ", ["Python Cheatsheet"]),
        ("oil", []),  # drafts never match
        ("charcoal", []),  # nor inactive products
        ("no such thing", []),
        ("", ["Python Cheatsheet", "Watercolour Basics"]),
    ],
)
def test_search_filters_title_and_description(client, shelf, q, expected):
    response = client.get("/products/", {"q": q})
    html = response.content.decode()
    assert sorted(titles(html)) == expected
    if not expected:
        assert "No products match." in html


def test_search_box_keeps_the_query_escaped(client, shelf):
    html = client.get("/products/", {"q": '"><script>x</script>'}).content.decode()
    assert "<script>x</script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


@pytest.mark.by_database
def test_list_is_paginated_and_keeps_the_query(client, make_seller, make_product):
    seller = make_seller()
    for i in range(30):
        make_product(seller=seller, title=f"Pattern {i:02d}")
    make_product(seller=seller, title="Unrelated")
    first = client.get("/products/", {"q": "pattern"}).content.decode()
    assert len(titles(first)) == 24
    # Follow the "Next" link: it keeps the query.
    (next_href,) = re.findall(r'href="(\?[^"]+)" rel="next"', first)
    second = client.get("/products/" + next_href.replace("&amp;", "&")).content.decode()
    assert len(titles(second)) == 6
    assert set(titles(first)).isdisjoint(titles(second))
    assert "Unrelated" not in first + second


def test_home_shows_only_published_products(client, shelf):
    html = client.get("/").content.decode()
    assert "Watercolour Basics" in html
    assert "Draft Oil Course" not in html
    assert "Retired Charcoal Pack" not in html


# ---------------------------------------------------------------------------
# product detail
# ---------------------------------------------------------------------------


def test_detail_for_anonymous_offers_login(client, shelf):
    product = shelf["published"]
    response = client.get(product.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert actions(html) == ["login"]
    assert "Log in to buy" in html
    assert f'href="/accounts/login/?next=/products/{product.slug}/"' in html
    assert "Buy now" not in html
    assert PREVIEW_BANNER not in html


def test_detail_for_logged_in_non_owner_offers_buy(shelf, make_user):
    product = shelf["published"]
    html = logged_in(make_user()).get(product.get_absolute_url()).content.decode()
    assert actions(html) == ["buy"]
    assert "Buy now" in html
    assert f'href="/products/{product.slug}/buy/"' in html
    assert "Log in to buy" not in html


@pytest.mark.smoke
def test_detail_for_owner_offers_download(shelf, make_user):
    product = shelf["published"]
    buyer = make_user()
    buy(buyer, product)
    html = logged_in(buyer).get(product.get_absolute_url()).content.decode()
    assert actions(html) == ["download"]
    assert f'href="/products/{product.slug}/download/"' in html
    assert "Buy now" not in html


def test_refunded_owner_is_offered_buy_again(shelf, make_user):
    product = shelf["published"]
    buyer = make_user()
    refund(buy(buyer, product))
    html = logged_in(buyer).get(product.get_absolute_url()).content.decode()
    assert actions(html) == ["buy"]


def test_detail_shows_price_seller_and_description(client, shelf):
    product = shelf["published"]
    html = client.get(product.get_absolute_url()).content.decode()
    assert "$19.99" in html
    assert "Brushes, paper and first washes." in html
    assert shelf["seller"].get_full_name() in html


@pytest.mark.parametrize("which", ["draft", "inactive"])
def test_hidden_products_are_404_for_everyone_but_their_seller(shelf, which, make_user,
                                                               make_seller):
    product = shelf[which]
    url = product.get_absolute_url()
    assert Client().get(url).status_code == 404
    assert logged_in(make_user()).get(url).status_code == 404
    assert logged_in(make_seller()).get(url).status_code == 404
    assert logged_in(make_user(is_staff=True)).get(url).status_code == 404

    response = logged_in(shelf["seller"]).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert PREVIEW_BANNER in html
    assert product.title in html
    assert actions(html) == []  # nothing to buy in a preview


def test_owner_of_a_retired_product_keeps_the_download(make_user, make_product):
    product = make_product(title="Soon Retired")
    buyer = make_user()
    buy(buyer, product)
    Product.objects.filter(pk=product.pk).update(is_active=False)
    client = logged_in(buyer)
    assert client.get(product.get_absolute_url()).status_code == 404
    html = client.get("/account/products/").content.decode()
    assert "Soon Retired" in html
    # The title no longer links to a page that would answer 404...
    assert f'href="{product.get_absolute_url()}"' not in html
    # ...but the purchase still downloads.
    assert f'href="/products/{product.slug}/download/"' in html
    assert client.get(f"/products/{product.slug}/download/").status_code == 302


def test_seller_sees_own_published_product_without_banner(shelf):
    html = logged_in(shelf["seller"]).get(shelf["published"].get_absolute_url()).content.decode()
    assert PREVIEW_BANNER not in html


def test_unknown_product_is_404(client):
    assert client.get("/products/does-not-exist/").status_code == 404


# ---------------------------------------------------------------------------
# panels
# ---------------------------------------------------------------------------


def test_customer_gets_403_on_the_seller_dashboard(make_user):
    assert logged_in(make_user()).get("/seller/").status_code == 403


def test_anonymous_is_sent_to_login_from_the_panels(client):
    for url in ("/seller/", "/account/products/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_seller_dashboard_lists_only_own_products(shelf):
    html = logged_in(shelf["seller"]).get("/seller/").content.decode()
    for mine in ("Watercolour Basics", "Draft Oil Course", "Retired Charcoal Pack"):
        assert mine in html
    assert "Python Cheatsheet" not in html


def test_my_products_lists_only_active_ownerships(make_user, make_product):
    buyer, someone_else = make_user(), make_user()
    kept = make_product(title="Kept Guide")
    refunded = make_product(title="Refunded Guide")
    revoked = make_product(title="Revoked Guide")
    theirs = make_product(title="Their Guide")
    buy(buyer, kept)
    refund(buy(buyer, refunded))
    services.revoke_ownership(buy(buyer, revoked), reason="chargeback")
    buy(someone_else, theirs)
    make_product(title="Never Bought")

    html = logged_in(buyer).get("/account/products/").content.decode()
    listed = re.findall(r'data-product="([^"]+)"', html)
    assert listed == [kept.slug]
    assert "Kept Guide" in html
    for absent in ("Refunded Guide", "Revoked Guide", "Their Guide", "Never Bought"):
        assert absent not in html


def test_my_products_is_empty_for_a_new_customer(make_user):
    html = logged_in(make_user()).get("/account/products/").content.decode()
    assert "You have not bought anything yet." in html


def test_seller_can_buy_and_sees_own_purchases(make_seller, make_product):
    seller = make_seller()
    product = make_product(title="Another Seller's Guide")
    buy(seller, product)
    html = logged_in(seller).get("/account/products/").content.decode()
    assert re.findall(r'data-product="([^"]+)"', html) == [product.slug]


# ---------------------------------------------------------------------------
# product list: search, category filter, HTMX, pagination, query counts
# ---------------------------------------------------------------------------

HTMX = {"HX-Request": "true", "HX-Target": "results", "HX-Current-URL": "http://testserver/products/"}


@pytest.fixture
def design_shelf(make_seller, make_product, make_category):
    """Two sellers whose categories share slugs ("fonts" exists for both)."""
    ana, bo = make_seller(name="Ana"), make_seller(name="Bo")
    fonts_ana = make_category(seller=ana, name="Fonts")
    fonts_bo = make_category(seller=bo, name="Fonts")
    icons = make_category(seller=ana, name="Icons")
    typography = make_category(seller=bo, name="Typography")
    sketches = make_category(seller=bo, name="Sketches")
    products = {
        "serif": make_product(seller=ana, title="Serif Collection", description="Old style."),
        "grotesk": make_product(seller=bo, title="Grotesk Family", description="Sans faces."),
        "glyphs": make_product(seller=ana, title="Line Glyphs", description="Outlined marks."),
        "kerning": make_product(seller=bo, title="Spacing Primer",
                                description="Kerning explained."),
        "plain": make_product(seller=bo, title="Plain Notes", description="No category."),
        "draft": make_product(seller=bo, title="Draft Sketchbook", status=Product.Status.DRAFT),
    }
    products["serif"].categories.add(fonts_ana)
    products["grotesk"].categories.add(fonts_bo, typography)
    products["glyphs"].categories.add(icons)
    products["kerning"].categories.add(typography)
    products["draft"].categories.add(sketches)
    return products


def category_choices(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="category" value="([^"]+)"', html)


@pytest.mark.by_database
def test_search_covers_category_names(client, design_shelf):
    html = client.get("/products/", {"q": "typograph"}).content.decode()
    assert sorted(titles(html)) == ["Grotesk Family", "Spacing Primer"]


@pytest.mark.by_database
def test_search_needs_every_word(client, design_shelf):
    html = client.get("/products/", {"q": "fonts sans"}).content.decode()
    assert titles(html) == ["Grotesk Family"]


@pytest.mark.by_database
def test_title_matches_rank_before_description_matches(client, make_product):
    make_product(title="Watercolour Basics", description="Paint with water.")
    make_product(title="Brush Care", description="Cleaning brushes after watercolour work.")
    make_product(title="Unrelated Newest")
    assert titles(client.get("/products/", {"q": "watercolour"}).content.decode()) == [
        "Watercolour Basics", "Brush Care"
    ]
    # Without a query: newest first.
    assert titles(client.get("/products/").content.decode()) == [
        "Unrelated Newest", "Brush Care", "Watercolour Basics"
    ]


@pytest.mark.by_database
@pytest.mark.parametrize(
    "q", ['"', "'", 'OR "NEAR(', "a* -b:", "((", "NOT", "ä ö ü", "\\", "%_", "x" * 500]
)
def test_search_takes_any_input(client, shelf, q):
    response = client.get("/products/", {"q": q})
    assert response.status_code == 200


@pytest.mark.by_database
def test_picking_two_categories_shows_products_in_either(client, design_shelf):
    html = client.get("/products/", {"category": ["icons", "typography"]}).content.decode()
    assert sorted(titles(html)) == ["Grotesk Family", "Line Glyphs", "Spacing Primer"]
    # Counted once each: Grotesk is in "fonts" and "typography"; the draft not at all.
    html = client.get("/products/", {"category": ["fonts", "typography", "sketches"]}
                      ).content.decode()
    assert 'aria-live="polite">3 products</p>' in html


def test_one_category_slug_covers_every_sellers_category(client, design_shelf):
    html = client.get("/products/", {"category": "fonts"}).content.decode()
    assert sorted(titles(html)) == ["Grotesk Family", "Serif Collection"]


@pytest.mark.by_database
def test_categories_and_search_combine(client, design_shelf):
    html = client.get("/products/", {"category": ["fonts", "icons"], "q": "glyphs"}).content
    assert titles(html.decode()) == ["Line Glyphs"]


def test_unknown_or_malformed_categories_match_nothing(client, design_shelf):
    assert titles(client.get("/products/", {"category": "nope"}).content.decode()) == []
    html = client.get("/products/", {"category": "<script>"}).content.decode()
    assert "<script>" not in html


@pytest.mark.by_database
def test_category_choices_list_only_categories_with_buyable_products(client, design_shelf):
    html = client.get("/products/").content.decode()
    # "Fonts" of both sellers is one choice; "Sketches" holds only a draft.
    assert category_choices(html) == ["fonts", "icons", "typography"]
    assert "<legend>Categories</legend>" in html


def test_chosen_categories_and_query_stay_filled_in(client, design_shelf):
    html = client.get("/products/", {"category": ["icons"], "q": "line"}).content.decode()
    assert '<input type="checkbox" name="category" value="icons" checked>' in html
    assert '<input type="checkbox" name="category" value="fonts">' in html
    assert 'name="q" value="line"' in html


def test_filter_form_works_without_javascript(client, design_shelf):
    html = client.get("/products/").content.decode()
    form = re.search(r'<form id="catalog-filters"[^>]*>', html).group(0)
    assert 'method="get"' in form
    assert 'action="/products/"' in form
    assert '<button type="submit">Search</button>' in html
    assert '<label for="q">Search products</label>' in html


def test_filter_form_updates_results_with_htmx_and_pushes_the_url(client, design_shelf):
    html = client.get("/products/").content.decode()
    form = re.search(r'<form id="catalog-filters"[^>]*>', html, re.S).group(0)
    assert 'hx-get="/products/"' in form
    assert 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form
    assert "input changed delay:300ms from:#q" in form
    assert "change from:#category-filter" in form


def test_htmx_request_gets_only_the_results_fragment(client, design_shelf):
    response = client.get("/products/", {"q": "glyphs"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert 'id="catalog-filters"' not in html
    assert titles(html) == ["Line Glyphs"]
    assert "1 product for “glyphs”" in html


def test_normal_request_gets_the_whole_page_with_the_same_results(client, design_shelf):
    page = client.get("/products/", {"q": "glyphs"}).content.decode()
    fragment = client.get("/products/", {"q": "glyphs"}, headers=HTMX).content.decode()
    assert page.startswith("<!doctype html>")
    assert fragment.strip() in page


def test_history_restore_request_gets_the_whole_page(client, design_shelf):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    html = client.get("/products/", {"q": "glyphs"}, headers=headers).content.decode()
    assert html.startswith("<!doctype html>")


def test_responses_vary_on_hx_request(client, design_shelf):
    for headers in ({}, HTMX):
        response = client.get("/products/", headers=headers)
        assert "HX-Request" in response["Vary"]


def test_pagination_links_keep_query_and_categories_and_use_htmx(client, make_seller,
                                                                 make_product, make_category):
    seller = make_seller()
    category = make_category(seller=seller, name="Patterns")
    for i in range(30):
        make_product(seller=seller, title=f"Pattern {i:02d}").categories.add(category)
    html = client.get("/products/", {"q": "pattern", "category": "patterns"},
                      headers=HTMX).content.decode()
    (link,) = re.findall(r'<a href="([^"]+)" rel="next"[^>]*>', html)
    anchor = re.search(r'<a href="[^"]+" rel="next"[^>]*>', html).group(0)
    assert link == "?q=pattern&amp;category=patterns&amp;page=2"
    assert f'hx-get="{link}"' in anchor
    assert 'hx-push-url="true"' in anchor
    second = client.get("/products/" + link.replace("&amp;", "&"), headers=HTMX)
    assert len(titles(second.content.decode())) == 6
    assert "Page 2 of 2" in second.content.decode()


def _fill(make_seller, make_product, make_category, count: int) -> None:
    seller = make_seller()
    category = make_category(seller=seller, name=f"Shelf {count}")
    for i in range(count):
        make_product(seller=seller, title=f"Poster {i}",
                     description="Printable poster").categories.add(category)


@pytest.mark.by_database
@pytest.mark.parametrize(
    ("params", "headers", "logged_in_queries", "anonymous_queries", "logged_in_warm"),
    [
        # the page with its count, category choices (+ session, the user with the
        # person's rows; what they own is read on their first page, then kept
        # for them in the cache with their rendered parts)
        ({}, {}, 4, 2, 2),
        # a search: the ranked window's ids, then the page's rows by id
        ({"q": "poster", "category": "shelf-1"}, {}, 5, 3, 2),
        # A fragment has no category choices and no header (the owned badges
        # need the session and the user).
        ({"q": "poster"}, HTMX, 4, 2, 2),
    ],
)
def test_query_count_does_not_grow_with_products(
    client, make_user, make_seller, make_product, make_category, django_assert_num_queries,
    params, headers, logged_in_queries, anonymous_queries, logged_in_warm,
):
    """Rendered (a new catalog version) and from the page cache: anonymous
    visitors then cost no query, logged-in ones their own parts."""
    params = dict(params)
    logged = logged_in(make_user())
    _fill(make_seller, make_product, make_category, 1)
    for size in (1, 24):
        if size == 24:
            _fill(make_seller, make_product, make_category, 23)
            if "category" in params:
                params["category"] = ["shelf-1", "shelf-23"]
        bump_catalog_version()
        with django_assert_num_queries(anonymous_queries):
            html = client.get("/products/", params, headers=headers).content.decode()
        assert len(titles(html)) == size
        with django_assert_num_queries(0):
            again = client.get("/products/", params, headers=headers).content.decode()
        assert titles(again) == titles(html)
        with django_assert_num_queries(logged_in_warm + (size == 1)):  # + what they own
            html = logged.get("/products/", params, headers=headers).content.decode()
        assert len(titles(html)) == size
        bump_catalog_version()
        with django_assert_num_queries(logged_in_queries):
            html = logged.get("/products/", params, headers=headers).content.decode()
        assert len(titles(html)) == size


# ---------------------------------------------------------------------------
# home page
# ---------------------------------------------------------------------------


def test_home_shows_featured_and_new_products(client, make_product):
    make_product(title="Star Kit", is_featured=True)
    make_product(title="Hidden Star", is_featured=True, status=Product.Status.DRAFT)
    make_product(title="Fresh Pack")
    html = client.get("/").content.decode()
    featured = html.split('id="featured-heading"')[1].split("</section>")[0]
    assert titles(featured) == ["Star Kit"]
    latest = html.split('id="latest-heading"')[1].split("</section>")[0]
    assert titles(latest) == ["Fresh Pack", "Star Kit"]
    assert "Hidden Star" not in html


def test_home_shows_testimonials_from_settings_without_queries(client, settings,
                                                              django_assert_num_queries):
    settings.MARKETPLACE = {
        **settings.MARKETPLACE,
        "TESTIMONIALS": [
            {"quote": "Bought at nine, used at five past.", "author": "Rin", "role": "Designer"},
            {"quote": "Refund was painless.", "author": "Sol"},
        ],
    }
    with django_assert_num_queries(2):  # featured and new products, nothing else
        html = client.get("/").content.decode()
    assert "Bought at nine, used at five past." in html
    assert "Rin, <span class=\"muted\">Designer</span>" in html
    assert "Refund was painless." in html
    assert "What people say" in html


def test_home_without_testimonials_has_no_testimonial_section(client):
    assert "What people say" not in client.get("/").content.decode()
