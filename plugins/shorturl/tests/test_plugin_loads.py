"""The plugin is discovered, enabled and registered with only core installed."""

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
