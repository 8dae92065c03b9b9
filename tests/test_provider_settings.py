"""PaymentProvider.settings: a provider's options from ``MARKETPLACE``, read at access."""

from __future__ import annotations

from marketplace_core.payments.providers import PaymentProvider


class KeyedByIdentifier(PaymentProvider):
    identifier = "mypay"
    verbose_name = "My Pay"


class KeyedByPluginName(PaymentProvider):
    identifier = "mypay"
    verbose_name = "My Pay"
    settings_key = "payments_mypay"


def test_options_are_read_under_the_identifier_by_default(settings):
    provider = KeyedByIdentifier()
    settings.MARKETPLACE = {**settings.MARKETPLACE, "mypay": {"API_KEY": "k1"}}
    assert provider.settings == {"API_KEY": "k1"}
    # The same instance sees a later change: nothing is cached at __init__.
    settings.MARKETPLACE = {**settings.MARKETPLACE, "mypay": {"API_KEY": "k2"}}
    assert provider.settings == {"API_KEY": "k2"}


def test_a_settings_key_names_the_plugins_options(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "mypay": {"API_KEY": "wrong"},
                            "payments_mypay": {"API_KEY": "right"}}
    assert KeyedByPluginName().settings == {"API_KEY": "right"}


def test_unset_or_malformed_options_read_as_empty(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "payments_mypay": ["API_KEY"]}
    assert KeyedByIdentifier().settings == {}
    assert KeyedByPluginName().settings == {}
