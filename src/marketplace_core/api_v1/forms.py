"""Running the panel's Django forms on API input, so both apply the same rules."""

from __future__ import annotations

from typing import Any, TypeVar

from django.forms import BaseForm

from marketplace_core.api_v1.errors import invalid_form

FormT = TypeVar("FormT", bound=BaseForm)


def validated(form: FormT) -> FormT:
    """``form`` once valid; else raise the API's 422 with its field errors."""
    if not form.is_valid():
        raise invalid_form(form)
    return form


def form_data(values: dict[str, Any]) -> dict[str, Any]:
    """API values as form data: ``None`` becomes empty, other values stay as they are
    (Django's form fields accept Python values as well as strings)."""
    return {name: ("" if value is None else value) for name, value in values.items()}
