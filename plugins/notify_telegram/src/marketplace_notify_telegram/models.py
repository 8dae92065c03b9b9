"""Sellers' own Telegram chats: which chat is whose, the links that connect them,
and how far the bot's updates were read.

A person connects a chat by opening the bot's deep link
``https://t.me/<bot>?start=<token>`` from their profile and pressing Start:
Telegram sends the bot ``/start <token>`` from that chat
(:mod:`marketplace_notify_telegram.linking`). Only a digest of the token is
stored; it works once, for ``CONNECT_TTL`` seconds, for the person it was made for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TelegramChat(models.Model):
    """The private chat with the bot that a person's notifications go to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="telegram_chat", verbose_name=_("user"))
    chat_id = models.CharField(_("chat id"), max_length=32)
    #: The Telegram name seen when connecting (shown in the profile).
    chat_name = models.CharField(_("Telegram name"), max_length=200, blank=True)
    connected_at = models.DateTimeField(_("connected"), auto_now_add=True)

    class Meta:
        verbose_name = _("Telegram chat")
        verbose_name_plural = _("Telegram chats")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.chat_id}"


class ConnectToken(models.Model):
    """A "Connect Telegram" link's token (its SHA-256 digest): single use, expiring."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"connect token of {self.user_id}"


class UpdateOffset(models.Model):
    """The ``getUpdates`` offset: one row (``pk=1``), the next update id to read."""

    offset = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"offset {self.offset}"
