"""Typed, lazy access to ``MARKETPLACE["notify_telegram"]``.

Example (secrets from the environment)::

    MARKETPLACE["notify_telegram"] = {
        "BOT_TOKEN": os.environ["TELEGRAM_BOT_TOKEN"],
        "CHAT_ID": os.environ["TELEGRAM_CHAT_ID"],   # -100… or @channelname; optional
        "THREAD_ID": None,                          # a forum topic, optional
        # Sellers' own chats ("Connect Telegram" in the profile):
        "BOT_USERNAME": "my_shop_bot",              # without "@"
        "WEBHOOK_SECRET": os.environ.get("TELEGRAM_WEBHOOK_SECRET", ""),  # "" = poll
    }

Values that fail their system check fall back to the default here, so a
worker never crashes on them; ``manage.py check`` reports them.
"""

from __future__ import annotations

from typing import Any

from marketplace_core.conf import conf as core_conf

NAME = "notify_telegram"
DEFAULT_API_URL = "https://api.telegram.org"
DEFAULTS: dict[str, Any] = {
    "BOT_TOKEN": "",
    "CHAT_ID": "",
    "THREAD_ID": None,
    "API_URL": DEFAULT_API_URL,
    "TIMEOUT": 10.0,
    "MAX_RETRIES": 5,
    "RETRY_BACKOFF": 2.0,
    "RETRY_BACKOFF_MAX": 300.0,
    "BOT_USERNAME": "",
    "WEBHOOK_SECRET": "",
    "CONNECT_TTL": 900.0,
    "POLL_EVERY": 10.0,
}


def positive_number(value: object, *, upper: float) -> bool:
    """An int or float in (0, upper] (``True`` is not a number here)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and 0 < value <= upper)


def thread_id(value: object) -> int | None:
    """A forum topic id: a positive int, or a string of digits; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


class TelegramSettings:
    @property
    def raw(self) -> dict[str, Any]:
        return core_conf.plugin(NAME)

    def _get(self, key: str) -> Any:
        value = self.raw.get(key)
        return DEFAULTS[key] if value is None or value == "" else value

    @property
    def BOT_TOKEN(self) -> str:
        return str(self._get("BOT_TOKEN")).strip()

    @property
    def CHAT_ID(self) -> str:
        return str(self._get("CHAT_ID")).strip()

    @property
    def THREAD_ID(self) -> int | None:
        return thread_id(self._get("THREAD_ID"))

    @property
    def API_URL(self) -> str:
        return str(self._get("API_URL")).rstrip("/")

    @property
    def TIMEOUT(self) -> float:
        value = self._get("TIMEOUT")
        return float(value) if positive_number(value, upper=120) else DEFAULTS["TIMEOUT"]

    @property
    def MAX_RETRIES(self) -> int:
        value = self._get("MAX_RETRIES")
        valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 50
        return value if valid else DEFAULTS["MAX_RETRIES"]

    @property
    def RETRY_BACKOFF(self) -> float:
        value = self._get("RETRY_BACKOFF")
        return float(value) if positive_number(value, upper=3600) else DEFAULTS["RETRY_BACKOFF"]

    @property
    def RETRY_BACKOFF_MAX(self) -> float:
        value = self._get("RETRY_BACKOFF_MAX")
        if positive_number(value, upper=86400):
            return float(value)
        return DEFAULTS["RETRY_BACKOFF_MAX"]

    @property
    def BOT_USERNAME(self) -> str:
        """The bot's username without ``@`` (``""``: sellers cannot connect chats)."""
        return str(self._get("BOT_USERNAME")).strip().lstrip("@")

    @property
    def WEBHOOK_SECRET(self) -> str:
        """The ``secret_token`` given to ``setWebhook`` (``""``: no webhook, poll instead)."""
        return str(self._get("WEBHOOK_SECRET")).strip()

    @property
    def CONNECT_TTL(self) -> float:
        """Seconds a "Connect Telegram" link works."""
        value = self._get("CONNECT_TTL")
        return float(value) if positive_number(value, upper=86400) else DEFAULTS["CONNECT_TTL"]

    @property
    def POLL_EVERY(self) -> float:
        """Seconds between two ``getUpdates`` polls (when there is no webhook)."""
        value = self._get("POLL_EVERY")
        return float(value) if positive_number(value, upper=3600) else DEFAULTS["POLL_EVERY"]

    @property
    def personal_chats(self) -> bool:
        """Whether sellers can connect their own chats (a token and a bot username)."""
        return bool(self.BOT_TOKEN and self.BOT_USERNAME)

    @property
    def polling(self) -> bool:
        """Whether the periodic task asks ``getUpdates`` (personal chats, no webhook)."""
        return self.personal_chats and not self.WEBHOOK_SECRET


conf = TelegramSettings()
