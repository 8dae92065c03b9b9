"""Errors core raises across module boundaries."""

from __future__ import annotations


class MarketplaceError(Exception):
    """Base class of the errors below."""


class Rejected(MarketplaceError):
    """A ``validate_*`` hook or a core service refuses an action.

    ``message`` is shown to the person who asked for the action, so it must be
    written for them (no stack traces, no internal ids).
    """

    def __init__(self, message: str, *, code: str = "rejected") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PluginError(MarketplaceError):
    """A plugin could not be loaded or registered; the message names the plugin."""
