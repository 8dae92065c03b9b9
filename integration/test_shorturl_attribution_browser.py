"""A short link joined to the sale it brought, in a real browser against every real
part: the redirect sets the attribution cookie, the product page is counted, the
dummy provider's signed webhook (delivered by the Celery worker) confirms the
payment, and the seller's short-link list shows the click, the view, the purchase
and the revenue."""

from __future__ import annotations

import re

import pytest
from marketplace_shorturl.services import LinkData, create_link
from marketplace_shorturl.tasks import flush_clicks

from marketplace_core.ownership.models import Order
from marketplace_core.testing.factories import DEFAULT_PASSWORD, logged_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_short_link_shows_the_sale_it_brought(live_server, celery_worker, page, make_user,
                                                make_seller, make_product, settings):
    settings.DEBUG = True
    seller = make_seller()
    product = make_product(seller=seller, title="Icon Pack", price=1250, currency="EUR")
    create_link(seller, LinkData(destination=f"{live_server.url}{product.get_absolute_url()}",
                                 slug="newsletter"))
    buyer = make_user(email="reader@example.com", name="Reader")

    page.goto(f"{live_server.url}/s/newsletter")  # the newsletter's link: lands on the product
    page.wait_for_url(f"**{product.get_absolute_url()}")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "shorturl_ref"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.locator('[data-action="login"]').click()  # "No account needed, or log in"
    page.get_by_label("Email address").fill(buyer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{product.get_absolute_url()}")
    page.get_by_role("link", name="Buy now").click()
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/payments/dummy/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/account/products/", timeout=30_000)
    assert Order.objects.get(buyer=buyer, product=product).status == Order.Status.PAID
    assert page.console_errors == []

    flush_clicks()  # the live server's clicks and views are in this process's buffers
    html = logged_in(seller).get("/s/manage/").content.decode()
    row = re.search(r'<tr data-slug="newsletter">(.*?)</tr>', html, re.S)[1]
    cells = {name: re.sub(r"<[^>]+>", "", value).strip()
             for name, value in re.findall(r'<td class="(\w+)[^"]*">(.*?)</td>', row, re.S)}
    # Two product page views: the landing, and the return after logging in.
    assert (cells["clicks"], cells["views"], cells["purchases"], cells["revenue"]) == (
        "1", "2", "1", "€12.50")
