"""Answers with a status other than 200 on every supported django-ninja version."""

from __future__ import annotations

from typing import Any

_Status: Any
try:  # django-ninja >= 1.6
    from ninja import Status as _Status
except ImportError:  # older: a (status, body) tuple, deprecated since
    _Status = None


def with_status(status: int, value: Any) -> Any:
    """What an operation returns to answer ``value`` with ``status``."""
    return _Status(status, value) if _Status is not None else (status, value)


def created(value: Any) -> Any:
    """``value`` with status 201."""
    return with_status(201, value)
