"""The plugin loads by name, answers ``manage.py check`` and has its nav item."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from marketplace_core.plugins.manager import get_plugin_manager


def test_the_plugin_is_registered_under_its_name():
    assert get_plugin_manager().get_plugin("licenses") is not None


@pytest.mark.django_db  # JSONField's check asks SQLite whether it supports JSON
def test_manage_py_check_passes():
    call_command("check")


@pytest.mark.django_db
def test_sellers_see_license_keys_in_their_panel(seller_client):
    response = seller_client.get(reverse("marketplace:seller_dashboard"))
    assert reverse("licenses:keys").encode() in response.content
    assert b"License keys" in response.content


@pytest.mark.django_db
def test_buyers_do_not_see_the_sellers_link(buyer_client):
    response = buyer_client.get(reverse("marketplace:my_products"))
    assert reverse("licenses:keys").encode() not in response.content
