"""Telling a seller that one of their webhook endpoints was turned off."""

from __future__ import annotations

from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf
from marketplace_core.notifications.channels import Notification
from marketplace_core.notifications.services import notify
from marketplace_core.outbound.models import WebhookEndpoint

#: ``Notification.event`` of a disabled endpoint.
ENDPOINT_DISABLED = "webhook_endpoint_disabled"


def notify_endpoint_disabled(endpoint_id: int, attempt_id: int) -> None:
    """Queue (after commit) the seller's notification that ``endpoint_id`` was turned off.

    Its id names the endpoint and the attempt that gave up, so however often the
    task runs the seller hears once per time the endpoint is turned off (core's
    email channel sends an id once).
    """
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    path = reverse("marketplace:seller_webhook_detail", kwargs={"pk": endpoint.pk})
    notify(Notification(
        event=ENDPOINT_DISABLED,
        title="A webhook endpoint was turned off",
        body=(f"Deliveries to {endpoint.url} failed for about 3 days, so we stopped "
              "sending to it. Fix the endpoint, then turn it back on and resend the "
              "failed deliveries from its delivery log."),
        url=absolute_url(conf.SITE_URL, path) if conf.SITE_URL else "",
        data={"id": f"webhook_disabled:{endpoint.pk}:{attempt_id}"},
        recipient_id=str(endpoint.seller_id),
    ))
