"""``201 Created`` answers on every supported django-ninja version."""

from __future__ import annotations

from typing import Any

try:  # django-ninja >= 1.6
    from ninja import Status
except ImportError:  # older: a (status, body) tuple, deprecated since
    Status = None


def created(value: Any) -> Any:
    """What an operation returns to answer ``value`` with status 201."""
    return Status(201, value) if Status is not None else (201, value)
