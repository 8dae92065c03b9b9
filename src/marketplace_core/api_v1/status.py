"""Answers with a status other than 200 on every supported django-ninja version."""

from __future__ import annotations

from typing import Any

try:  # django-ninja >= 1.6
    from ninja import Status
except ImportError:  # older: a (status, body) tuple, deprecated since
    Status = None


def with_status(status: int, value: Any) -> Any:
    """What an operation returns to answer ``value`` with ``status``."""
    return Status(status, value) if Status is not None else (status, value)


def created(value: Any) -> Any:
    """``value`` with status 201."""
    return with_status(201, value)
