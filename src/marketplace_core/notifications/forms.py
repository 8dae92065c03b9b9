"""The "Notifications" switches of the seller's profile page: one checkbox per
event a seller hears about and channel that reaches them (all on by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from marketplace_core.forms_rendering import MarketplaceForm
from marketplace_core.notifications.preferences import (
    EventKind,
    personal_channels,
    seller_events,
    set_switch,
    switches,
)


@dataclass(frozen=True)
class SwitchRow:
    """One event and its checkboxes (bound fields), for the template."""

    kind: EventKind
    fields: list[forms.BoundField]


def field_name(event: str, channel: str) -> str:
    return f"{event}__{channel}"


class NotificationSwitchesForm(MarketplaceForm):
    """Checkboxes for :func:`seller_events` by :func:`personal_channels` of ``user``.

    An unchecked box is absent from a POST, so saving turns off every switch
    the form shows and the POST does not name; events or channels it does not
    show (a disabled plugin's) are left as they are.
    """

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.kinds = seller_events()
        self.channels = personal_channels()
        current = switches(user.pk)
        for kind in self.kinds:
            for identifier, name in self.channels:
                self.fields[field_name(kind.event, identifier)] = forms.BooleanField(
                    label=name, required=False,
                    initial=current.get((kind.event, identifier), True))

    def rows(self) -> list[SwitchRow]:
        return [SwitchRow(kind, [self[field_name(kind.event, identifier)]
                                 for identifier, _ in self.channels])
                for kind in self.kinds]

    def save(self) -> None:
        for kind in self.kinds:
            for identifier, _ in self.channels:
                set_switch(self.user.pk, kind.event, identifier,
                           bool(self.cleaned_data[field_name(kind.event, identifier)]))
