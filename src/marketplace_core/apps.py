"""Django app configuration: builds the plugin manager when Django is ready."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.signals import request_finished, setting_changed


class MarketplaceCoreConfig(AppConfig):
    name = "marketplace_core"
    label = "marketplace_core"
    verbose_name = "Marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Build the plugin manager, register checks and signal receivers (idempotent,
        no database access)."""
        from marketplace_core import checks  # noqa: F401  (registers system checks)
        from marketplace_core.catalog import facets, versions, visitors
        from marketplace_core.catalog.search_document import connect_signals
        from marketplace_core.celery_app import run_tasks_in_process_without_broker
        from marketplace_core.conf import conf
        from marketplace_core.periodic import run_due_after_request
        from marketplace_core.plugins import manager
        from marketplace_core.plugins.loading import load_plugins

        # The raw value, so that a string instead of a list fails loudly rather than
        # enabling one plugin per letter.
        manager.install(load_plugins(conf.raw.get("PLUGINS", [])))
        setting_changed.connect(_on_setting_changed, dispatch_uid="marketplace_core.settings")
        connect_signals()  # the search document's receivers (idempotent)
        facets.connect_signals()  # after them: the category facets' receivers
        versions.connect_signals()  # every catalog change bumps the catalog version
        visitors.connect_signals()  # a person's changes bump their cached page parts
        run_tasks_in_process_without_broker()  # no CELERY_BROKER_URL: no Celery needed
        request_finished.connect(run_due_after_request,
                                 dispatch_uid="marketplace_core.periodic")


def _on_setting_changed(setting: str, **kwargs: Any) -> None:
    """Keep cached plugin state and task eagerness in step with ``override_settings``."""
    if setting == "CELERY_BROKER_URL":
        from marketplace_core.celery_app import run_tasks_in_process_without_broker

        run_tasks_in_process_without_broker()
        return
    if setting != "MARKETPLACE":
        return
    from marketplace_core.conf import conf
    from marketplace_core.plugins import manager, registry
    from marketplace_core.plugins.loading import load_plugins
    from marketplace_core.storage.backends import reset_product_storage

    manager.install(load_plugins(conf.raw.get("PLUGINS", [])))
    registry.clear()
    reset_product_storage()  # STORAGE_BACKEND may name another backend now
