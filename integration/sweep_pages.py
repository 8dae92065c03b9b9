"""The pages the browser sweep visits (test_pages_sweep_browser.py), per role, and
the data they show.

:data:`PAGES` maps a role to ``(name, path)`` pairs; a path is a ``str.format``
template over the objects :func:`seed` returns (``"/seller/sales/{sale.reference}/"``).
To cover a new page, add a pair to its role (and, when it needs an object, the
object to :func:`seed`): the sweep then checks it at every width, and saves its
screenshots as ``test-artifacts/screens/<role>-<name>-<width>.png``.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.management import call_command
from django.urls import reverse
from django.utils.text import slugify

#: Visited logged in as the role's user from :func:`seed` (``anonymous``: nobody). A third
#: item is the HTTP status the page must answer with when it is not 200 (an error page).
PAGES: dict[str, list[tuple[str, str] | tuple[str, str, int]]] = {
    "anonymous": [
        ("home", "/"),
        ("catalog", "/products/"),
        ("category", "/products/?category={category.pk}"),
        ("search", "/products/?q=template"),
        ("product", "/products/{product.slug}/"),
        ("product-long-title", "/products/{long_product.slug}/"),
        ("storefront", "/sellers/{storefront_slug}/"),
        ("storefront-category", "/sellers/{storefront_slug}/?category={category.slug}"),
        ("not-found", "/no-such-page/", 404),
        ("login", "/accounts/login/"),
        ("register", "/accounts/register/"),
        ("password-reset", "/accounts/password-reset/"),
        ("guest-purchases", "/account/purchases/access/"),
        ("register-sent", "/accounts/register/sent/"),
        ("password-reset-sent", "/accounts/password-reset/sent/"),
        ("guest-purchases-sent", "/account/purchases/access/sent/"),
    ],
    "buyer": [
        ("home", "/"),
        ("product-owned", "/products/{sale.product.slug}/"),
        ("checkout", "/products/{unowned.slug}/buy/"),
        ("dummy-checkout", "{dummy_checkout_path}"),
        # (a paid order's success page sends a logged-in buyer on to My products)
        ("success-pending", "/payments/success/?order={pending.reference}"),
        ("purchase", "/account/purchases/{sale.reference}/"),  # where receipt links lead
        ("my-products", "/account/products/"),
        ("downloads", "/account/products/{sale.product_id}/downloads/"),
        ("order-history", "/account/orders/"),
        ("profile", "/account/profile/"),
        ("password", "/account/password/"),
        ("support-mine", "/support/mine/"),
        ("support-detail", "/support/{support_request.pk}/"),
        ("support-new", "/support/new/{unsupported_purchase.pk}/"),
        ("support-cancel", "/support/{support_request.pk}/cancel/confirm/"),
        ("logout", "/accounts/logout/"),
        ("seller-panel-forbidden", "/seller/", 403),
    ],
    "seller": [
        ("dashboard", "/seller/"),
        ("products", "/seller/products/"),
        ("product-new", "/seller/products/new/"),
        ("product-edit", "/seller/products/{seller_product.pk}/edit/"),
        ("product-delete", "/seller/products/{seller_product.pk}/delete/"),
        ("sales", "/seller/sales/"),
        ("sale-detail", "/seller/sales/{sale.reference}/"),
        ("sale-detail-long-names", "/seller/sales/{long_sale.reference}/"),
        ("customers", "/seller/customers/"),
        ("categories", "/seller/categories/"),
        ("category-new", "/seller/categories/new/"),
        ("category-edit", "/seller/categories/{category.pk}/edit/"),
        ("category-delete", "/seller/categories/{category.pk}/delete/"),
        ("discounts", "/seller/discounts/"),
        ("discount-new", "/seller/discounts/new/"),
        ("discount-edit", "/seller/discounts/{discount.pk}/edit/"),
        ("discount-delete", "/seller/discounts/{discount.pk}/delete/"),
        ("webhooks", "/seller/webhooks/"),
        ("webhook-detail", "/seller/webhooks/{webhook.pk}/"),
        ("webhook-new", "/seller/webhooks/new/"),
        ("webhook-edit", "/seller/webhooks/{webhook.pk}/edit/"),
        ("webhook-delete", "/seller/webhooks/{webhook.pk}/delete/"),
        ("api-keys", "/seller/api-keys/"),
        ("api-key-revoke", "/seller/api-keys/{api_key.pk}/revoke/"),
        ("exports", "/seller/exports/"),
        ("profile", "/seller/profile/"),
        ("password", "/seller/password/"),
        ("shorturl", "/s/manage/"),
        ("shorturl-new", "/s/manage/new/"),
        ("shorturl-edit", "/s/manage/{short_link.pk}/edit/"),
        ("shorturl-delete", "/s/manage/{short_link.pk}/delete/"),
        ("license-keys", "/licenses/seller/keys/"),
        ("license-key", "/licenses/seller/keys/{license_key.pk}/"),
        ("support-incoming", "/support/incoming/"),
        ("support-update", "/support/incoming/{support_request.pk}/"),
        ("my-purchases", "/seller/purchases/"),
        ("my-orders", "/seller/orders/"),
        ("my-support", "/support/seller/mine/"),
        ("storefront-settings", "/seller/storefront/"),
        ("storefront-own", "/sellers/{storefront_slug}/"),
    ],
    "staff": [
        ("home", "/"),
        ("catalog", "/products/"),
        ("profile", "/account/profile/"),
    ],
}


LONG_TITLE = ("The Complete Illustrated Encyclopaedia of Watercolour: "
              "Supercalifragilisticexpialidocious-Techniques-Edition-2026")
LONG_EMAIL = "firstname.middlename.lastname.department@a-very-long-company-domain.example.com"


def seed() -> dict[str, Any]:
    """The demo data (``seed_demo``: sellers, buyers, staff, products, purchases and a
    licensed product) plus one of each seller-made object the pages list, with long
    names where a page shows them (the phone layout must wrap them)."""
    from marketplace_licenses.models import LicenseKey
    from marketplace_shorturl.services import LinkData, create_link
    from marketplace_support.services import open_request

    from marketplace_core.api_keys.services import create_key
    from marketplace_core.catalog.models import Category, Product
    from marketplace_core.catalog.storefronts import storefront_slug
    from marketplace_core.discounts.models import DiscountCode
    from marketplace_core.outbound import services as outbound
    from marketplace_core.outbound.events import ORDER_PAID
    from marketplace_core.ownership import services
    from marketplace_core.ownership.models import PurchasedProduct
    from marketplace_core.payments.dummy import CHECKOUT_SALT
    from marketplace_core.people.models import SellerProfile
    from marketplace_core.people.users import find_by_email
    from marketplace_core.testing.factories import buy, make_product, make_user, refund

    call_command("seed_demo", products=12, stdout=_Discard())
    buyer, seller = find_by_email("buyer@example.com"), find_by_email("seller@example.com")
    staff = find_by_email("staff@example.com")
    owned = list(PurchasedProduct.objects.filter(buyer_id=buyer.pk)
                 .select_related("order", "product").order_by("id"))
    sold = [p for p in owned if p.product.seller_id == seller.pk]
    sale = sold[0].order
    # Long words do not break by themselves: the pages must wrap them on a phone.
    long_product = make_product(seller=seller, title=LONG_TITLE, price=123456, currency="EUR")
    buy(buyer, long_product)
    long_buyer = make_user(email=LONG_EMAIL, name="Maximiliana Wolfeschlegelsteinhausenbergerdorff")
    long_sale = buy(long_buyer, long_product).order
    refund(buy(long_buyer, sold[0].product))
    support_request = open_request(
        buyer=buyer, purchase=sold[0], subject="The download stops at 80 % on my phone",
        message="I tried twice on mobile data; on Wi-Fi it works. Is the file very large?")
    unsupported = sold[1] if len(sold) > 1 else owned[-1]
    seller_product = Product.objects.filter(seller=seller).order_by("id").first()
    unowned = (Product.objects.published().exclude(seller=buyer)
               .exclude(pk__in=[p.product_id for p in owned]).order_by("id").first())
    pending = services.start_checkout(
        buyer=buyer, product=unowned, provider="dummy",
        billing={"name": "Bea Buyer", "email": "buyer@example.com", "country": "US"})
    checkout_token = signing.dumps({"order": str(pending.reference), "session": "cs_sweep"},
                                   salt=CHECKOUT_SALT)
    discount = DiscountCode.objects.create(seller=seller, code="SPRING-SALE-2026", percent=20)
    webhook = outbound.create_endpoint(
        seller, url="https://hooks.example.com/marketplace/orders/very-long-path/for-a-phone",
        description="Order sync", events=[ORDER_PAID])
    api_key = create_key(seller, name="Accounting export", scope="read").key
    short_link = create_link(seller, LinkData(
        destination=f"https://example.com/campaigns/{slugify(seller_product.title)}/spring"))
    return {
        "users": {"buyer": buyer, "seller": seller, "staff": staff},
        "category": Category.objects.filter(seller=seller).order_by("id").first(),
        "storefront_slug": storefront_slug(SellerProfile.objects.get(pk=seller.pk), seller),
        "product": Product.objects.published().order_by("id").first(),
        "seller_product": seller_product,
        "unowned": unowned,
        "sale": sale,
        "long_product": long_product,
        "long_sale": long_sale,
        "pending": pending,
        "dummy_checkout_path": reverse("marketplace:dummy_checkout",
                                       kwargs={"token": checkout_token}),
        "support_request": support_request,
        "unsupported_purchase": unsupported,
        "discount": discount,
        "webhook": webhook,
        "short_link": short_link,
        "api_key": api_key,
        "license_key": LicenseKey.objects.order_by("id").first(),
    }


class _Discard:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
