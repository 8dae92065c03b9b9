"""Mark views that must stay reachable during maintenance (webhooks, health)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def maintenance_exempt(view: F) -> F:
    """Let ``view`` answer while maintenance mode is on."""
    view.maintenance_exempt = True  # type: ignore[attr-defined]
    return view
