"""Helpers shared by the support plugin's tests: core's ``buy`` and ``refund``
(from ``marketplace_core.testing.factories``), through core's services."""

from __future__ import annotations

from marketplace_core.testing.factories import buy, refund

__all__ = ["buy", "refund"]
