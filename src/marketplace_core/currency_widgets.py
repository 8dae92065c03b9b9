"""A ``<select>`` of the currencies in use, for the forms' ISO 4217 code fields."""

from __future__ import annotations

from typing import Any

from django import forms

from marketplace_core.money import currency_choices


class CurrencySelect(forms.Select):
    """The currencies in use (``USD — US Dollar``, names in the active language).

    ``blank`` adds a first, empty option with that text (an optional currency).
    A stored code that is no longer a currency stays selectable, so editing an
    old row shows what it holds (the form's own check then says what is wrong).
    The field stays a text field: the form validates the code as before.
    """

    def __init__(self, attrs: dict[str, Any] | None = None, *, blank: str | None = None) -> None:
        super().__init__(attrs)
        self.blank = blank

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        choices: list[tuple[str, str]] = [("", self.blank)] if self.blank is not None else []
        choices += currency_choices()
        code = str(value or "").upper()
        if code and code not in {choice for choice, _label in choices}:
            choices.append((code, code))
        self.choices = choices
        return super().get_context(name, code or value, attrs)
