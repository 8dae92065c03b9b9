"""Every activation made or removed passes through one function,
``events.activation_recorded`` (where outbound webhooks will be sent): the API's
activate and deactivate and the seller's "Free" each record exactly one event."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from marketplace_licenses import services

pytestmark = pytest.mark.django_db


def _events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "licenses"]


def test_each_change_records_one_event(caplog, api, license_key, seller_client):
    caplog.set_level(logging.INFO, logger="licenses")
    first = api.post("activate", license_key=license_key.key, instance_name="A").json()
    second = api.post("activate", license_key=license_key.key, instance_name="B").json()
    api.post("deactivate", license_key=license_key.key, instance_id=first["instance"]["id"])
    state = services.validate(license_key.key, second["instance"]["id"])
    assert state.instance is not None
    seller_client.post(reverse("licenses:activation_free", args=[state.instance.pk]))
    api.post("activate", license_key="AAAAAA-BBBBBB-CCCCCC-DDDDDD-EEEEEE-FFFFFF",
             instance_name="C")  # refused: nothing recorded

    events = _events(caplog)
    assert [e.split(" ")[-4] for e in events] == ["activated", "activated", "deactivated",
                                                  "deactivated"]
    assert first["instance"]["id"] in events[0] and first["instance"]["id"] in events[2]
    assert second["instance"]["id"] in events[3]


def test_activations_reach_the_sellers_endpoint_signed(
        settings, api, license_key, seller, seller_client, django_capture_on_commit_callbacks):
    from marketplace_core.outbound import services as outbound
    from marketplace_core.outbound.events import event_types
    from marketplace_core.testing.webhook_receiver import WebhookReceiver

    settings.MARKETPLACE = {**settings.MARKETPLACE, "WEBHOOKS_ALLOW_HTTP": True,
                            "WEBHOOKS_ALLOWED_ADDRESSES": ["127.0.0.1"]}
    assert {"license.activated", "license.deactivated"} <= set(event_types())
    with WebhookReceiver() as receiver:
        endpoint = outbound.create_endpoint(
            seller, url=f"{receiver.url}/licenses", description="",
            events=["license.activated", "license.deactivated"])
        receiver.secrets = [endpoint.secret]
        with django_capture_on_commit_callbacks(execute=True):
            made = api.post("activate", license_key=license_key.key,
                            instance_name="studio-mac").json()
        with django_capture_on_commit_callbacks(execute=True):
            api.post("activate", license_key="AAAAAA-BBBBBB-CCCCCC-DDDDDD-EEEEEE-FFFFFF",
                     instance_name="x")  # refused: nothing sent
        state = services.validate(license_key.key, made["instance"]["id"])
        with django_capture_on_commit_callbacks(execute=True):
            seller_client.post(reverse("licenses:activation_free", args=[state.instance.pk]))

        activated, deactivated = receiver.wait_for(2)
    assert activated.verified and deactivated.verified
    assert [m.payload["type"] for m in (activated, deactivated)] == [
        "license.activated", "license.deactivated"]
    data = activated.payload["data"]
    assert data["instance"] == {"id": made["instance"]["id"], "name": "studio-mac",
                                "created_at": data["instance"]["created_at"]}
    assert (data["license_key"]["id"], data["license_key"]["prefix"],
            data["license_key"]["activation_limit"]) == (license_key.pk, license_key.prefix, 3)
    assert license_key.key not in activated.body.decode()
    assert deactivated.payload["data"]["instance"]["id"] == made["instance"]["id"]
