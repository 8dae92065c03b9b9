"""The plugin is discovered, enabled and registered with only core installed."""

from django.apps import apps

from marketplace_core.plugins.introspection import plugin_report
from marketplace_core.plugins.manager import enabled_plugins, get_plugin_manager


def test_enabled_and_registered_under_its_name():
    assert [info.name for info in enabled_plugins()] == ["analytics_ga4"]
    assert apps.get_app_config("analytics_ga4").name == "marketplace_analytics_ga4"
    assert get_plugin_manager().get_plugin("analytics_ga4") is not None


def test_listed_with_its_distribution():
    report = {r.name: r for r in plugin_report()}["analytics_ga4"]
    assert report.enabled
    assert report.distribution == "marketplace-analytics-ga4"
    assert report.version == "0.1.0"


def test_the_refresh_runs_on_celery_beats_schedule():
    from celery import current_app
    from marketplace_analytics_ga4.conf import conf

    current_app.finalize()
    entry = current_app.conf.beat_schedule["analytics_ga4.refresh_traffic"]
    assert entry["task"] == "analytics_ga4.refresh_traffic"
    assert entry["schedule"] == conf.REFRESH_INTERVAL
    assert {"analytics_ga4.refresh_traffic", "analytics_ga4.send_purchase",
            "analytics_ga4.send_refund"} <= set(current_app.tasks)
