"""Model registry of the ``marketplace_core`` app: the models live in subpackages."""

from marketplace_core.accounts.models import User
from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.api_keys.models import ApiKey
from marketplace_core.catalog.models import (
    Category,
    Product,
    ProductFileVersion,
    ProductImage,
    VersionEmailOptOut,
)
from marketplace_core.discounts.models import DiscountCode
from marketplace_core.maintenance.models import MaintenanceState
from marketplace_core.notifications.preferences import NotificationPreference
from marketplace_core.outbound.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint
from marketplace_core.ownership.models import (
    Dispute,
    Download,
    Order,
    Payment,
    PurchasedProduct,
    Refund,
    RefundRequest,
    WebhookDelivery,
)
from marketplace_core.people.models import Account, SellerProfile

__all__ = [
    "Account",
    "ApiKey",
    "Category",
    "DiscountCode",
    "Dispute",
    "Download",
    "MaintenanceState",
    "NotificationPreference",
    "Order",
    "OutboundAttempt",
    "OutboundDelivery",
    "Payment",
    "Product",
    "ProductFileVersion",
    "ProductImage",
    "PurchasedProduct",
    "Refund",
    "RefundRequest",
    "SellerProfile",
    "SentEmail",
    "User",
    "VersionEmailOptOut",
    "WebhookDelivery",
    "WebhookEndpoint",
]
