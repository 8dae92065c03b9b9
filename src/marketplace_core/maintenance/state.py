"""Whether maintenance mode is on: the same answer in every process.

On when ``MARKETPLACE["MAINTENANCE_MODE"]`` is true, or when switched on at run
time (``manage.py maintenance on`` or the admin), which writes the
:class:`~marketplace_core.maintenance.models.MaintenanceState` row. Every
process reads that row at most once per :data:`RUNTIME_FLAG_TTL` second and
remembers it in between, so switching reaches every web process sharing the
database (any number, on any machine) within a second, and a request costs no
query in between: at most one query per process per second, none while the
setting forces maintenance on.

No cache is involved on purpose: a local-memory cache is not shared between
processes (the switch would reach only the process that wrote it), and a
shared one would add an outage to survive without saving more than one query
per process per second.

If the row cannot be read (the database is down, the migration not applied),
the process keeps its last answer (off when it never read one), logs a warning
and tries again a second later: the check itself never turns a page into a
server error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from marketplace_core.conf import conf

#: Seconds a process keeps the run-time switch before reading the database again.
RUNTIME_FLAG_TTL = 1.0

logger = logging.getLogger("marketplace_core.maintenance")


@dataclass(frozen=True)
class RuntimeState:
    """The run-time switch as stored in the database."""

    enabled: bool
    #: Shown on the maintenance page (plain text; may be empty).
    message: str = ""
    #: Who switched it last ("" when never switched).
    changed_by: str = ""
    changed_at: datetime | None = None


OFF = RuntimeState(enabled=False)

# (monotonic deadline, state); replaced whole, so threads never see half an update.
_remembered: tuple[float, RuntimeState] = (0.0, OFF)


def is_enabled() -> bool:
    """True when the setting or the run-time switch says so.

    Queries the database at most once per :data:`RUNTIME_FLAG_TTL` per process,
    and never while the setting forces maintenance on.
    """
    return conf.MAINTENANCE_MODE or runtime_state().enabled


def runtime_state() -> RuntimeState:
    """The run-time switch, as read from the database at most a second ago."""
    global _remembered
    deadline, state = _remembered
    now = time.monotonic()
    if now < deadline:
        return state
    try:
        state = read_runtime_state()
    except Exception:
        logger.warning("Cannot read the maintenance switch from the database; keeping "
                       "maintenance mode %s.", "on" if state.enabled else "off", exc_info=True)
    _remembered = (now + RUNTIME_FLAG_TTL, state)
    return state


def read_runtime_state() -> RuntimeState:
    """The stored switch, read now (one query); :data:`OFF` when never switched."""
    from marketplace_core.maintenance.models import MaintenanceState

    row = MaintenanceState.objects.filter(pk=MaintenanceState.SINGLETON_PK).values_list(
        "enabled", "message", "changed_by", "changed_at"
    ).first()
    return OFF if row is None else RuntimeState(*row)


def set_runtime_flag(enabled: bool, *, changed_by: str = "",
                     message: str | None = None) -> RuntimeState:
    """Switch the run-time flag (kept until switched again) and return it.

    Records ``changed_by`` and the time; ``message`` replaces the page's message
    when given (``""`` clears it) and is kept otherwise. This process sees the
    change at once, every other one within :data:`RUNTIME_FLAG_TTL`.
    """
    from marketplace_core.maintenance.models import MaintenanceState

    values: dict[str, object] = {"enabled": enabled, "changed_by": changed_by[:255],
                                 "changed_at": timezone.now()}
    if message is not None:
        values["message"] = message
    with transaction.atomic():
        MaintenanceState.objects.update_or_create(pk=MaintenanceState.SINGLETON_PK,
                                                  defaults=values)
        state = read_runtime_state()
    remember(state)
    return state


def remember(state: RuntimeState, seconds: float = RUNTIME_FLAG_TTL) -> None:
    """Answer ``state`` in this process for ``seconds`` without reading the database.

    The test kit holds :data:`OFF` for the length of each test
    (``seconds=math.inf``), so query counts never depend on the clock.
    """
    global _remembered
    _remembered = (time.monotonic() + seconds, state)


def forget_runtime_flag() -> None:
    """Read the database again on the next check."""
    global _remembered
    _remembered = (0.0, _remembered[1])
