"""``manage.py maintenance on|off|status``: switch maintenance mode at run time."""

from __future__ import annotations

import getpass
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace_core.conf import conf
from marketplace_core.maintenance.models import MaintenanceState
from marketplace_core.maintenance.state import (
    RUNTIME_FLAG_TTL,
    read_runtime_state,
    set_runtime_flag,
)

MESSAGE_LIMIT = MaintenanceState._meta.get_field("message").max_length or 1000


class Command(BaseCommand):
    help = (
        "Switch maintenance mode on or off for every process of the site (the switch is "
        f"stored in the database; running processes follow within {RUNTIME_FLAG_TTL:g} s)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("state", choices=["on", "off", "status"])
        parser.add_argument(
            "--message", default=None,
            help="Text shown on the maintenance page (replaces the stored one; '' clears it).",
        )
        parser.add_argument(
            "--by", default=None,
            help="Who is switching, recorded with the switch (default: user@host).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state, message = options["state"], options["message"]
        if message is not None and len(message) > MESSAGE_LIMIT:
            raise CommandError(f"--message is longer than {MESSAGE_LIMIT} characters.")
        if state == "status":
            stored = read_runtime_state()
        else:
            stored = set_runtime_flag(state == "on", changed_by=options["by"] or _operator(),
                                      message=message)
        on = conf.MAINTENANCE_MODE or stored.enabled
        note = " (forced on by MARKETPLACE['MAINTENANCE_MODE'])" if conf.MAINTENANCE_MODE else ""
        self.stdout.write(f"Maintenance mode is {'on' if on else 'off'}{note}.")
        if stored.changed_at is not None:
            when = f"{stored.changed_at:%Y-%m-%d %H:%M:%S %Z}"
            self.stdout.write(f"Switched {'on' if stored.enabled else 'off'} by "
                              f"{stored.changed_by or 'unknown'} at {when}.")
        if stored.message:
            self.stdout.write(f"Message: {stored.message}")
        if state != "status":
            self.stdout.write(f"Running processes follow within {RUNTIME_FLAG_TTL:g} s.")


def _operator() -> str:
    """``user@host (manage.py)``: who ran the command, as far as the system says."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()} (manage.py)"
