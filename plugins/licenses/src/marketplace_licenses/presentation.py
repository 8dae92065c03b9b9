"""What the plugin shows on core's pages: the product edit page's section,
the key under My Products rows and the key line of a receipt email."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.types import OwnedProductDetail, ProductSection, ReceiptLine
from marketplace_licenses import services
from marketplace_licenses.forms import PolicyForm
from marketplace_licenses.models import LicenseKey, LicensePolicy

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product
    from marketplace_core.ownership.models import Order

KEY_LABEL = "License key"


def policy_section(request: HttpRequest, product: Product) -> ProductSection:
    """The "License keys" section of the product edit page (one query)."""
    policy = LicensePolicy.objects.filter(product=product).first()
    initial = ({"issue_keys": policy.issue_keys, "activation_limit": policy.activation_limit,
                "validity_days": policy.validity_days} if policy else {})
    html = render_to_string("licenses/_policy_section.html",
                            {"form": PolicyForm(initial=initial), "product": product},
                            request=request)
    return ProductSection(key="licenses", title=_("License keys"), html=html, order=300)


def _note(key: LicenseKey) -> str:
    status = key.status
    if status == LicenseKey.Status.DISABLED:
        return _("disabled")
    if status == LicenseKey.Status.EXPIRED:
        return _("expired")
    if key.expires_at is not None:
        return _("valid until %(date)s") % {"date": key.expires_at.date().isoformat()}
    return ""


def key_details(purchases: list[PurchasedProduct]) -> list[OwnedProductDetail]:
    """The key of each purchase that has one; one query."""
    found = LicenseKey.objects.filter(purchase_id__in=[p.pk for p in purchases])
    return [OwnedProductDetail(purchase_id=key.purchase_id, label=_(KEY_LABEL), value=key.key,
                               key="license-key", copyable=True, note=_note(key), order=100)
            for key in found]


def receipt_key_lines(order: Order) -> list[ReceiptLine]:
    """The order's key, issuing it if the product issues keys and it is not issued yet
    (the receipt task may run before ``ownership_granted`` is delivered)."""
    purchase = PurchasedProduct.objects.filter(order_id=order.pk).first()
    if purchase is None:
        return []
    key = services.issue_key(purchase)
    if key is None or key.disabled_at is not None:
        return []
    return [ReceiptLine(label=_(KEY_LABEL), value=key.key, key="license-key", order=100)]
