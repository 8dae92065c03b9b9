"""``manage.py marketplace_plugins [--json]``: installed plugins and their hooks."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from marketplace_core.plugins.introspection import plugin_report


class Command(BaseCommand):
    help = "List installed marketplace plugins: distribution, version, enabled and hooks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = plugin_report()
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in reports], indent=2))
            return
        for report in reports:
            state = "enabled" if report.enabled else "installed, not enabled"
            self.stdout.write(
                f"{report.name}  ({report.distribution or '?'} {report.version or '?'})  {state}"
            )
            for hook_name in report.hooks:
                self.stdout.write(f"    {hook_name}")
