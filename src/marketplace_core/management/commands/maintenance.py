"""``manage.py maintenance on|off|status``: switch maintenance mode at run time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from marketplace_core.conf import conf
from marketplace_core.maintenance.state import is_enabled, set_runtime_flag


class Command(BaseCommand):
    help = (
        "Switch maintenance mode on or off for every process sharing the default cache "
        "(use a shared cache such as Redis with several processes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("state", choices=["on", "off", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        state = options["state"]
        if state != "status":
            set_runtime_flag(state == "on")
        on = is_enabled()
        note = " (forced on by MARKETPLACE['MAINTENANCE_MODE'])" if conf.MAINTENANCE_MODE else ""
        self.stdout.write(f"Maintenance mode is {'on' if on else 'off'}{note}.")
