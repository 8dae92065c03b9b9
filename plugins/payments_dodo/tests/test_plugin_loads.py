"""The plugin is discovered, enabled and registered with only core installed."""

from django.apps import apps

from marketplace_core.plugins.introspection import plugin_report
from marketplace_core.plugins.manager import enabled_plugins, get_plugin_manager


def test_enabled_and_registered_under_its_name():
    assert [info.name for info in enabled_plugins()] == ["payments_dodo"]
    assert apps.get_app_config("payments_dodo").name == "marketplace_payments_dodo"
    assert get_plugin_manager().get_plugin("payments_dodo") is not None


def test_listed_with_its_distribution():
    report = {r.name: r for r in plugin_report()}["payments_dodo"]
    assert report.enabled
    assert report.distribution == "marketplace-payments-dodo"
    assert report.version == "0.1.0"


def test_the_provider_reads_the_plugins_options(settings) -> None:
    from marketplace_payments_dodo.conf import conf
    from marketplace_payments_dodo.provider import DodoProvider

    settings.MARKETPLACE = {**settings.MARKETPLACE,
                            "payments_dodo": {"API_KEY": "key-from-settings"}}
    assert DodoProvider().settings == {"API_KEY": "key-from-settings"}
    assert conf.API_KEY == "key-from-settings"
