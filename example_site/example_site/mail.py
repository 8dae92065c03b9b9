"""The demo's email backend: every email printed to the console and saved as a file.

Used when no SMTP server is configured (``EMAIL_HOST`` unset). The files land in
``EMAIL_FILE_PATH`` (``example_site/var/mail/``), one ``.log`` file per
connection, so links in receipts and account emails can be opened from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.message import EmailMessage


class ConsoleAndFileBackend(BaseEmailBackend):
    """Django's console backend and its file backend, one after the other."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self._backends = (ConsoleBackend(fail_silently=fail_silently, **kwargs),
                          FileBackend(fail_silently=fail_silently, **kwargs))

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for backend in self._backends:
            sent = backend.send_messages(email_messages)
        return sent
