"""Storefront pages and the panels: what each visitor sees (seed §1, §3, §5)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from marketplace_core.catalog.models import Product
from marketplace_core.ownership import services
from marketplace_core.ownership.models import PurchasedProduct

pytestmark = pytest.mark.django_db

PREVIEW_BANNER = "Preview: this product is a draft or inactive"


def buy(buyer, product) -> PurchasedProduct:
    order = services.start_checkout(buyer=buyer, product=product, provider="dummy")
    services.confirm_payment(
        provider="dummy", order_reference=order.reference,
        provider_payment_id=f"pay_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )
    return PurchasedProduct.objects.get(order=order)


def refund(purchase: PurchasedProduct) -> None:
    order = purchase.order
    services.record_refund(
        provider="dummy", order_reference=order.reference,
        provider_refund_id=f"ref_{order.reference.hex}", amount=order.amount,
        currency=order.currency,
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


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


def test_list_shows_only_published_active_products(client, shelf):
    html = client.get("/products/").content.decode()
    assert sorted(titles(html)) == ["Python Cheatsheet", "Watercolour Basics"]
    assert "Draft Oil Course" not in html
    assert "Retired Charcoal Pack" not in html


def test_list_hides_drafts_even_from_their_seller(shelf):
    html = logged_in(shelf["seller"]).get("/products/").content.decode()
    assert sorted(titles(html)) == ["Python Cheatsheet", "Watercolour Basics"]


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
    assert "19.99 USD" in html
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
