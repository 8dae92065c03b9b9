import pytest
from integration.browser_checks import log_in
from marketplace_core.discounts.models import DiscountCode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_shots(live_server, page, make_user, make_seller, make_product):
    seller = make_seller(email="sol@example.com")
    product = make_product(seller=seller, title="Brush Set", price=900, currency="EUR")
    make_product(seller=seller, title="Watercolour Field Guide with a long title", price=1500, currency="EUR")
    c = DiscountCode.objects.create(seller=seller, code="SPRING20", percent=20, usage_limit=5, once_per_buyer=True)
    c.products.set([product])
    DiscountCode.objects.create(seller=seller, code="FIVEOFF", kind="fixed", percent=None, amount=500, currency="EUR", is_active=False)
    buyer = make_user(email="bea@example.com", name="Bea Buyer")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        log_in(page, live_server, buyer)
        page.goto(f"{live_server.url}/products/{product.slug}/buy/")
        page.get_by_label("Discount code").fill("spring20")
        page.get_by_role("button", name="Apply").click()
        page.get_by_test_id("discount").wait_for()
        page.screenshot(path=f"/tmp/disc_shots/checkout_{width}.png", full_page=True)
        page.get_by_label("Discount code").fill("bad")
        page.get_by_role("button", name="Apply").click()
        page.get_by_text("This code is not valid").wait_for()
        page.screenshot(path=f"/tmp/disc_shots/checkout_err_{width}.png", full_page=True)
        log_in(page, live_server, seller)
        page.goto(f"{live_server.url}/seller/discounts/")
        page.screenshot(path=f"/tmp/disc_shots/list_{width}.png", full_page=True)
        page.goto(f"{live_server.url}/seller/discounts/new/")
        page.get_by_role("button", name="Save").click()
        page.screenshot(path=f"/tmp/disc_shots/form_{width}.png", full_page=True)
        page.goto(f"{live_server.url}/seller/discounts/{c.pk}/delete/")
        page.screenshot(path=f"/tmp/disc_shots/delete_{width}.png", full_page=True)
