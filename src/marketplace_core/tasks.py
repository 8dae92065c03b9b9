"""Import point for Celery's ``autodiscover_tasks``: every core task module."""

from marketplace_core.accounts.tasks import send_password_reset_email, send_verification_email
from marketplace_core.catalog.tasks import delete_image, delete_product_file, make_image_variants
from marketplace_core.catalog.version_emails import send_version_emails
from marketplace_core.notifications.seller_events import announce_sale
from marketplace_core.notifications.tasks import send_notification
from marketplace_core.outbound.catch_up import catch_up_events
from marketplace_core.outbound.tasks import send_delivery, send_due_deliveries
from marketplace_core.ownership.tasks import expire_pending_orders
from marketplace_core.payments.tasks import deliver_dummy_webhook
from marketplace_core.receipts.tasks import (
    send_partial_refund_notice,
    send_receipt,
    send_refund_notice,
)

__all__ = [
    "announce_sale",
    "catch_up_events",
    "delete_image",
    "delete_product_file",
    "deliver_dummy_webhook",
    "expire_pending_orders",
    "make_image_variants",
    "send_delivery",
    "send_due_deliveries",
    "send_notification",
    "send_partial_refund_notice",
    "send_password_reset_email",
    "send_receipt",
    "send_refund_notice",
    "send_verification_email",
    "send_version_emails",
]
