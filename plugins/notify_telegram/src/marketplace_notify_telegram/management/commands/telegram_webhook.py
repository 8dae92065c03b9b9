"""``manage.py telegram_webhook set|delete|info``: point the bot's updates at this
site's webhook (``MARKETPLACE["SITE_URL"]`` + ``/telegram/webhook/``, with
``WEBHOOK_SECRET`` as ``secret_token``), go back to polling, or show what
Telegram has."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from marketplace_core.accounts.emails import absolute_url
from marketplace_core.conf import conf as core_conf
from marketplace_notify_telegram import bot_api
from marketplace_notify_telegram.conf import conf


class Command(BaseCommand):
    help = "Set, delete or show the Telegram bot's webhook."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument("--url", default="",
                            help="The webhook's address (default: SITE_URL + the webhook's path).")

    def handle(self, *args: Any, action: str, url: str = "", **options: Any) -> None:
        if not conf.BOT_TOKEN:
            raise CommandError("MARKETPLACE['notify_telegram']['BOT_TOKEN'] is not set.")
        api_url, token, timeout = conf.API_URL, conf.BOT_TOKEN, conf.TIMEOUT
        try:
            if action == "set":
                if not conf.WEBHOOK_SECRET:
                    raise CommandError(
                        "Set MARKETPLACE['notify_telegram']['WEBHOOK_SECRET'] first.")
                if not url and not core_conf.SITE_URL.startswith("https://"):
                    raise CommandError("Telegram needs an https:// address: set "
                                       "MARKETPLACE['SITE_URL'] or give --url.")
                url = url or absolute_url(core_conf.SITE_URL, reverse("notify_telegram:webhook"))
                bot_api.set_webhook(api_url=api_url, token=token, timeout=timeout, url=url,
                                    secret_token=conf.WEBHOOK_SECRET)
                self.stdout.write(f"Telegram sends updates to {url}")
            elif action == "delete":
                bot_api.delete_webhook(api_url=api_url, token=token, timeout=timeout)
                self.stdout.write("Webhook deleted: updates are read with getUpdates.")
            else:
                info = bot_api.get_webhook_info(api_url=api_url, token=token, timeout=timeout)
                self.stdout.write(f"url: {info.get('url') or '(none)'}")
                self.stdout.write(f"pending updates: {info.get('pending_update_count', 0)}")
                if info.get("last_error_message"):
                    self.stdout.write(f"last error: {info['last_error_message']}")
        except bot_api.BotAPIError as exc:
            raise CommandError(f"Telegram refused: {exc.description}") from None
