"""Payment providers, storage backends and notification channels, by identifier.

Collected from the ``register_*`` hooks the first time they are needed and kept
until the plugin manager is rebuilt or :func:`clear` is called (core calls it
when ``MARKETPLACE`` changes).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from marketplace_core.conf import conf
from marketplace_core.plugins.manager import call, get_plugin_manager

if TYPE_CHECKING:
    from marketplace_core.notifications.channels import NotificationChannel
    from marketplace_core.payments.providers import PaymentProvider
    from marketplace_core.storage.backends import StorageBackend

T = TypeVar("T")

_lock = threading.Lock()
_cache: dict[str, dict[str, Any]] = {}
#: The plugin manager the cache was collected from: a new manager starts afresh.
_collected_from: object = None


def clear() -> None:
    """Forget collected registries (after the settings change)."""
    with _lock:
        _cache.clear()


def _collect(hook_name: str, kind: str) -> dict[str, Any]:
    global _collected_from
    pm = get_plugin_manager()
    with _lock:
        if _collected_from is not pm:
            _cache.clear()
            _collected_from = pm
        if hook_name in _cache:
            return _cache[hook_name]
        found: dict[str, Any] = {}
        for plugin, classes in call(hook_name, {}).answers:
            for cls in classes or []:
                identifier = getattr(cls, "identifier", None)
                if not identifier:
                    raise ImproperlyConfigured(
                        f"Plugin {plugin!r} registered a {kind} without an identifier."
                    )
                if identifier in found:
                    raise ImproperlyConfigured(
                        f"Plugin {plugin!r} registered {kind} {identifier!r}, "
                        "which another plugin already registered."
                    )
                found[identifier] = cls()
        _cache[hook_name] = found
        return found


def payment_providers() -> dict[str, PaymentProvider]:
    """All registered payment providers, by identifier."""
    return _collect("register_payment_providers", "payment provider")


def storage_backends() -> dict[str, StorageBackend]:
    """All registered storage backends, by identifier."""
    return _collect("register_storage_backends", "storage backend")


def notification_channels() -> dict[str, NotificationChannel]:
    """All registered notification channels, by identifier."""
    return _collect("register_notification_channels", "notification channel")


def payment_provider(identifier: str | None = None) -> PaymentProvider:
    """The provider ``identifier``, or the configured ``PAYMENT_PROVIDER``."""
    return _pick(payment_providers(), identifier or conf.PAYMENT_PROVIDER, "PAYMENT_PROVIDER")


def storage_backend(identifier: str | None = None) -> StorageBackend:
    """The backend ``identifier``, or the configured ``STORAGE_BACKEND``."""
    return _pick(storage_backends(), identifier or conf.STORAGE_BACKEND, "STORAGE_BACKEND")


def _pick(items: dict[str, T], identifier: str, setting: str) -> T:
    try:
        return items[identifier]
    except KeyError:
        known = ", ".join(sorted(items)) or "none"
        raise ImproperlyConfigured(
            f"MARKETPLACE[{setting!r}] is {identifier!r}, which no enabled plugin provides. "
            f"Available: {known}."
        ) from None
