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
