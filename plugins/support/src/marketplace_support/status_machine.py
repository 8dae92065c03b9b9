"""The status machine of a support request: the one place its rules live.

::

    pending ──start (seller)──────────▶ in_progress ──complete (buyer, seller)──▶ completed
       │                                     │
       └──cancel (buyer, seller)──▶ cancelled ◀──cancel (seller)──┘

- A request starts ``pending``.
- Only the seller moves it to ``in_progress`` (``start``).
- The buyer may cancel only while it is ``pending`` (the early stage, before the
  seller has started on it); the seller may cancel it while it is active.
- It is completed only from ``in_progress``, by the buyer or the seller.
- ``completed`` and ``cancelled`` are final: the request is locked, nothing
  changes it any more (not even the seller's notes).

Views, forms, services and templates ask this module; none of them compares
statuses on its own. ``docs/support.md`` shows the same table.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Action(StrEnum):
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


INITIAL = Status.PENDING
#: At most one request per purchase may be in one of these (a database constraint).
ACTIVE: frozenset[Status] = frozenset({Status.PENDING, Status.IN_PROGRESS})
FINAL: frozenset[Status] = frozenset({Status.COMPLETED, Status.CANCELLED})

#: (status, action) → (new status, roles allowed to take the action).
TRANSITIONS: dict[tuple[Status, Action], tuple[Status, frozenset[Role]]] = {
    (Status.PENDING, Action.START): (Status.IN_PROGRESS, frozenset({Role.SELLER})),
    (Status.PENDING, Action.CANCEL): (Status.CANCELLED, frozenset({Role.BUYER, Role.SELLER})),
    (Status.IN_PROGRESS, Action.COMPLETE): (
        Status.COMPLETED, frozenset({Role.BUYER, Role.SELLER})
    ),
    (Status.IN_PROGRESS, Action.CANCEL): (Status.CANCELLED, frozenset({Role.SELLER})),
}


class TransitionRefused(Exception):
    """The action is not allowed for this role in this status.

    ``message`` is written for the person who asked.
    """

    def __init__(self, message: str, *, status: str, action: str, role: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.action = action
        self.role = role


def next_status(status: str, action: str, role: str) -> Status:
    """The status ``action`` by ``role`` leads to, or :class:`TransitionRefused`."""
    current, act, who = Status(status), Action(action), Role(role)
    rule = TRANSITIONS.get((current, act))
    if rule is None or who not in rule[1]:
        raise TransitionRefused(_refusal(current, act), status=current, action=act, role=who)
    return rule[0]


def can(status: str, action: str, role: str) -> bool:
    """Whether ``role`` may take ``action`` on a request in ``status``."""
    rule = TRANSITIONS.get((Status(status), Action(action)))
    return rule is not None and Role(role) in rule[1]


def action_to(status: str, target: str) -> Action | None:
    """The action that moves ``status`` to ``target`` (``None``: no such move)."""
    current, wanted = Status(status), Status(target)
    for (source, action), (result, _roles) in TRANSITIONS.items():
        if source == current and result == wanted:
            return action
    return None


def targets(status: str, role: str) -> list[Status]:
    """The statuses ``role`` may move a request in ``status`` to, in declaration order."""
    current, who = Status(status), Role(role)
    return [
        result for (source, _action), (result, roles) in TRANSITIONS.items()
        if source == current and who in roles
    ]


def is_locked(status: str) -> bool:
    """Final statuses lock the request against every change."""
    return Status(status) in FINAL


def locked_refusal(status: str) -> str:
    """What someone reads when they try to change a request in a final ``status``."""
    return str(_("This support request is %(status)s and can no longer be changed.")
               % {"status": Status(status).label.lower()})


def _refusal(status: Status, action: Action) -> str:
    if status in FINAL:
        return locked_refusal(status)
    if (status, action) in TRANSITIONS:  # allowed, but not for this role
        if action == Action.START:
            return str(_("Only the seller can start working on a support request."))
        return str(_("A request can be cancelled only before the seller starts on it."))
    messages = {
        Action.START: _("Only a pending request can be started."),
        Action.COMPLETE: _("Only a request in progress can be completed."),
        Action.CANCEL: _("This request cannot be cancelled now."),
    }
    return str(messages[action])
