"""The plugin is discovered, enabled and registered with only core installed."""

import pytest
from django.apps import apps

from marketplace_core.plugins.introspection import plugin_report
from marketplace_core.plugins.manager import enabled_plugins, get_plugin_manager


def test_enabled_and_registered_under_its_name():
    assert [info.name for info in enabled_plugins()] == ["shorturl"]
    assert apps.get_app_config("shorturl").name == "marketplace_shorturl"
    assert get_plugin_manager().get_plugin("shorturl") is not None


def test_listed_with_its_distribution():
    report = {r.name: r for r in plugin_report()}["shorturl"]
    assert report.enabled
    assert report.distribution == "marketplace-shorturl"
    assert report.version == "0.1.0"


def test_urls_are_mounted_under_a_short_prefix():
    from django.urls import reverse

    assert reverse("shorturl:redirect", kwargs={"slug": "abc"}) == "/s/abc"
    assert reverse("shorturl:list") == "/s/manage/"


@pytest.mark.parametrize("area", ["seller", "account"])
@pytest.mark.django_db
def test_sellers_get_a_short_links_nav_item(rf, make_seller, area):
    request = rf.get("/")
    request.user = make_seller()
    items = _nav(request, area)
    assert [(i.label, i.url, i.key) for i in items] == [("Short links", "/s/manage/", "shorturl")]


@pytest.mark.parametrize("area", ["seller", "account", "main", "footer"])
@pytest.mark.django_db
def test_customers_and_visitors_get_no_nav_item(rf, make_user, area):
    from django.contrib.auth.models import AnonymousUser

    for user in (make_user(), AnonymousUser()):
        request = rf.get("/")
        request.user = user
        assert _nav(request, area) == []


@pytest.mark.django_db
def test_account_navigation_links_sellers_to_their_short_links(client, make_seller):
    client.force_login(make_seller())
    page = client.get("/s/manage/").content.decode()
    assert '<a href="/s/manage/" data-nav="shorturl">Short links</a>' in page


def _nav(request, area):
    from marketplace_core.plugins.manager import get_plugin_manager

    plugin = get_plugin_manager().get_plugin("shorturl")
    return plugin.nav_items(request=request, area=area)


def test_flush_runs_on_celery_beats_schedule():
    from celery import current_app
    from marketplace_shorturl.conf import conf

    current_app.finalize()
    entry = current_app.conf.beat_schedule["shorturl.flush_clicks"]
    assert entry["task"] == "shorturl.flush_clicks"
    assert entry["schedule"] == conf.FLUSH_INTERVAL
    assert "shorturl.flush_clicks" in current_app.tasks
