"""Signed outbound webhooks: sellers' endpoints, events, deliveries (docs/webhooks-outbound.md).

Emit an event with :func:`marketplace_core.outbound.services.emit`.
"""
