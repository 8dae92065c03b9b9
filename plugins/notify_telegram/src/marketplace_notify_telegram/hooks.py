"""Hook implementations of the Telegram notifications plugin."""

from __future__ import annotations

import re
from typing import Any

from django.core.checks import CheckMessage, Error

from marketplace_core import hookimpl
from marketplace_core.conf import conf as core_conf

# A Bot API token is "<bot id>:<secret>".
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")


@hookimpl
def check_configuration(app_configs: Any) -> list[CheckMessage]:
    options = core_conf.plugin("notify_telegram")
    errors: list[CheckMessage] = []
    # fullmatch: with match(), "$" accepts a trailing newline (a token read from a file).
    if not TOKEN_RE.fullmatch(str(options.get("BOT_TOKEN") or "")):
        errors.append(Error(
            "MARKETPLACE['notify_telegram']['BOT_TOKEN'] is missing or not a Bot API token.",
            hint="Read it from the TELEGRAM_BOT_TOKEN environment variable.",
            id="notify_telegram.E001",
        ))
    if not str(options.get("CHAT_ID") or "").strip():
        errors.append(Error(
            "MARKETPLACE['notify_telegram']['CHAT_ID'] is not set.",
            hint="The numeric id of the chat (or @channelusername) to notify.",
            id="notify_telegram.E002",
        ))
    return errors
