"""Connecting a person's own Telegram chat, and disconnecting it.

1. :func:`new_token` makes a random token for the person (only its SHA-256
   digest is stored; one live token per person, a new one replaces it) and
   :func:`deep_link` the bot link ``https://t.me/<BOT_USERNAME>?start=<token>``.
2. The person opens it and presses Start; Telegram sends the bot
   ``/start <token>`` from their private chat, and the webhook or the poll
   (:mod:`marketplace_notify_telegram.updates`) calls :func:`connect`.
3. :func:`connect` accepts a token once, before it expires (``CONNECT_TTL``),
   and binds that chat to the token's person, replacing a chat they had.

:func:`disconnect` (the profile's button) and :func:`forget_chat` (Telegram
says the bot was blocked) remove the binding.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from marketplace_notify_telegram.conf import conf
from marketplace_notify_telegram.models import ConnectToken, TelegramChat

#: What Telegram allows in a deep link's ``start`` parameter.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: Any) -> str:
    """A fresh single-use token for ``user`` (their earlier unused ones stop working)."""
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
    with transaction.atomic():
        ConnectToken.objects.filter(user_id=user.pk).delete()
        ConnectToken.objects.create(
            digest=digest(token), user_id=user.pk,
            expires_at=timezone.now() + timedelta(seconds=conf.CONNECT_TTL))
    return token


def deep_link(token: str) -> str:
    """The bot link that sends ``/start <token>`` when the person presses Start."""
    return f"https://t.me/{conf.BOT_USERNAME}?start={token}"


def connect(token: str, *, chat_id: str, chat_name: str = "") -> Any | None:
    """Bind ``chat_id`` to the person of ``token``; that user, or ``None`` when the
    token is unknown, used or expired (nothing changes then)."""
    if not TOKEN_RE.fullmatch(token):
        return None
    now = timezone.now()
    with transaction.atomic():
        row = (ConnectToken.objects.select_for_update().select_related("user")
               .filter(digest=digest(token)).first())
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        row.used_at = now
        row.save(update_fields=["used_at"])
        TelegramChat.objects.update_or_create(
            user_id=row.user_id, defaults={"chat_id": chat_id, "chat_name": chat_name[:200]})
        return row.user


def chat_of(user_id: int | str | None) -> TelegramChat | None:
    """The person's connected chat, if any."""
    if not user_id:
        return None
    try:
        return TelegramChat.objects.filter(user_id=user_id).first()
    except (TypeError, ValueError):
        return None


def disconnect(user: Any) -> bool:
    """Stop sending ``user``'s notifications to Telegram; whether a chat was connected."""
    deleted, _ = TelegramChat.objects.filter(user_id=user.pk).delete()
    return bool(deleted)


def forget_chat(user_id: int | str, chat_id: str) -> bool:
    """Disconnect ``user_id``'s chat if it is still ``chat_id`` (Telegram refused it for
    good: the bot was blocked); whether it was."""
    deleted, _ = TelegramChat.objects.filter(user_id=user_id, chat_id=chat_id).delete()
    return bool(deleted)
