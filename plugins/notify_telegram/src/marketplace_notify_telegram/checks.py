"""System checks of the Telegram plugin: one id per setting (``notify_telegram.E...``)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Warning

from marketplace_core.conf import conf as core_conf
from marketplace_notify_telegram.conf import NAME, positive_number, thread_id

# A Bot API token is "<bot id>:<secret>".
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# Telegram: a bot's username is 5-32 characters and ends in "bot" (any case).
BOT_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]")
# setWebhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_OPTION = f"MARKETPLACE['{NAME}']"


def check_settings() -> list[CheckMessage]:
    raw = core_conf.raw.get(NAME, {})
    if not isinstance(raw, dict):
        return [Error(f"{_OPTION} must be a dict of options.",
                      hint='{"BOT_TOKEN": ..., "CHAT_ID": ...}', id="notify_telegram.E009")]
    errors: list[CheckMessage] = []
    # fullmatch: with match(), "$" accepts a trailing newline (a token read from a file).
    if not TOKEN_RE.fullmatch(str(raw.get("BOT_TOKEN") or "")):
        errors.append(Error(
            f"{_OPTION}['BOT_TOKEN'] is missing or not a Bot API token.",
            hint="Read it from the TELEGRAM_BOT_TOKEN environment variable.",
            id="notify_telegram.E001",
        ))
    if not str(raw.get("CHAT_ID") or "").strip() and not str(raw.get("BOT_USERNAME") or ""
                                                             ).strip():
        errors.append(Error(
            f"{_OPTION}['CHAT_ID'] is not set (nor BOT_USERNAME): nobody would be notified.",
            hint="CHAT_ID: the numeric id of the operators' chat (or @channelusername); "
                 "BOT_USERNAME: the bot's username, so sellers can connect their own chats.",
            id="notify_telegram.E002",
        ))
    errors += _check_personal_chats(raw)
    value = raw.get("THREAD_ID")
    if value not in (None, "") and thread_id(value) is None:
        errors.append(Error(
            f"{_OPTION}['THREAD_ID'] must be a positive whole number (a forum topic id), "
            f"not {value!r}.",
            hint="Leave it unset to post to the chat itself.",
            id="notify_telegram.E003",
        ))
    errors += _check_api_url(raw.get("API_URL"))
    _check_number(errors, raw, "TIMEOUT", "seconds, at most 120", upper=120,
                  check_id="notify_telegram.E005")
    retries = raw.get("MAX_RETRIES")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                or not 0 <= retries <= 50):
        errors.append(Error(f"{_OPTION}['MAX_RETRIES'] must be a whole number from 0 to 50, "
                            f"not {retries!r}.", id="notify_telegram.E006"))
    _check_number(errors, raw, "RETRY_BACKOFF", "seconds, at most 3600", upper=3600,
                  check_id="notify_telegram.E007")
    _check_number(errors, raw, "RETRY_BACKOFF_MAX", "seconds, at most 86400", upper=86400,
                  check_id="notify_telegram.E008")
    return errors


def _check_personal_chats(raw: dict[str, object]) -> list[CheckMessage]:
    """BOT_USERNAME, WEBHOOK_SECRET, CONNECT_TTL and POLL_EVERY (sellers' own chats)."""
    errors: list[CheckMessage] = []
    username = raw.get("BOT_USERNAME")
    if username not in (None, "") and not (
            isinstance(username, str) and BOT_USERNAME_RE.fullmatch(username.strip().lstrip("@"))):
        errors.append(Error(
            f"{_OPTION}['BOT_USERNAME'] must be a bot's username (5 to 32 letters, digits or "
            f"underscores, ending in 'bot'), not {username!r}.",
            hint="The name after t.me/ in the bot's link, as @BotFather shows it.",
            id="notify_telegram.E010",
        ))
    secret = raw.get("WEBHOOK_SECRET")
    if secret not in (None, "") and not (isinstance(secret, str)
                                         and SECRET_RE.fullmatch(secret.strip())):
        errors.append(Error(
            f"{_OPTION}['WEBHOOK_SECRET'] must be 1 to 256 letters, digits, '_' or '-' "
            "(Telegram's rule for a webhook's secret_token).",
            hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'; "
                 "read it from the TELEGRAM_WEBHOOK_SECRET environment variable.",
            id="notify_telegram.E011",
        ))
    elif isinstance(secret, str) and secret.strip() and len(secret.strip()) < 24:
        errors.append(Warning(
            f"{_OPTION}['WEBHOOK_SECRET'] is short ({len(secret.strip())} characters): "
            "anyone who guesses it can post updates to the webhook.",
            hint="Use at least 32 random characters (secrets.token_urlsafe(32)).",
            id="notify_telegram.W002",
        ))
    _check_number(errors, raw, "CONNECT_TTL", "seconds, at most 86400", upper=86400,
                  check_id="notify_telegram.E012")
    _check_number(errors, raw, "POLL_EVERY", "seconds, at most 3600", upper=3600,
                  check_id="notify_telegram.E013")
    return errors


def _check_number(errors: list[CheckMessage], raw: dict[str, object], key: str, what: str, *,
                  upper: float, check_id: str) -> None:
    value = raw.get(key)
    if value is not None and not positive_number(value, upper=upper):
        errors.append(Error(f"{_OPTION}[{key!r}] must be a positive number of {what}, "
                            f"not {value!r}.", id=check_id))


def _check_api_url(value: object) -> list[CheckMessage]:
    if value in (None, ""):
        return []
    parts = urlsplit(value) if isinstance(value, str) else None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.query or parts.fragment or parts.username or parts.password):
        return [Error(
            f"{_OPTION}['API_URL'] must be an http(s) URL without query or credentials, "
            f"not {value!r}.",
            hint="Leave it unset for https://api.telegram.org; set it for a local Bot API "
                 "server or a test fake.",
            id="notify_telegram.E004",
        )]
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        return [Warning(
            f"{_OPTION}['API_URL'] sends the bot token over plain http to {parts.hostname}.",
            hint="Use https, or a Bot API server on this machine.",
            id="notify_telegram.W001",
        )]
    return []


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
