"""Helpers for tests that follow links from account emails."""

from __future__ import annotations

import re

from django.core import mail
from django.core.mail import EmailMultiAlternatives


def only_email_to(address: str) -> EmailMultiAlternatives:
    messages = [m for m in mail.outbox if address in m.to]
    assert len(messages) == 1, [(m.to, m.subject) for m in mail.outbox]
    return messages[0]  # type: ignore[return-value]


def link_in(message: EmailMultiAlternatives, base: str = "http://testserver") -> str:
    """The path of the one link to ``base`` in the email, after checking that the
    plain text and the HTML part carry the same absolute link."""
    links = set(re.findall(re.escape(base) + r"(/[^\s\"<>]*)", message.body))
    links.discard("/")
    assert len(links) == 1, message.body
    (path,) = links
    html = message.alternatives[0][0]
    assert f'href="{base}{path}"' in html
    return path
