"""A real SMTP server (aiosmtpd) for tests, and a Celery worker that sends mail to it.

``smtp_mailbox`` starts the server on a free loopback port and collects every
message it accepts (:meth:`SmtpMailbox.stall_next` holds one delivery unanswered,
for tests that kill its sender mid-way); ``mail_worker`` starts the example
site's Celery worker with ``EMAIL_HOST``/``EMAIL_PORT`` pointing at it, the way a
deployment configures SMTP.
Test modules import both fixtures.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from integration.processes import example_site_worker
from marketplace_core.testing.servers import free_port
from marketplace_core.testing.workers import CeleryWorker


@dataclass(frozen=True)
class ReceivedEmail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, \
            f"no text/{subtype} part in {self.subject!r}"
        return str(body.get_content())

    def link(self, base_url: str) -> str:
        """The one link to ``base_url`` (other than its home page) in the email; the
        plain text and the HTML part must carry the same absolute link."""
        pattern = re.escape(base_url) + r"(/[^\s\"<>]+)"
        text_links = set(re.findall(pattern, self.part("plain"))) - {"/"}
        html_links = set(re.findall(pattern, self.part("html"))) - {"/"}
        assert len(text_links) == 1 and text_links == html_links, (text_links, html_links)
        return base_url + text_links.pop()


class StalledDelivery:
    """A delivery the mailbox holds after its data arrived, without answering."""

    #: How long the server holds it before answering "try again later" (451).
    LIMIT = 120.0

    def __init__(self) -> None:
        self.arrived = threading.Event()
        #: The client's (host, port), once the data arrived.
        self.peer: tuple[str, int] | None = None

    def wait(self, timeout: float = 60.0) -> tuple[str, int]:
        """The client's address once the held delivery's data arrived."""
        assert self.arrived.wait(timeout), f"no delivery to hold within {timeout:.0f}s"
        assert self.peer is not None
        return self.peer


class _Collector:
    def __init__(self) -> None:
        self.received: list[ReceivedEmail] = []
        self.arrived = threading.Condition()
        self.stall: StalledDelivery | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            stall, self.stall = self.stall, None
        if stall is not None:
            stall.peer = session.peer
            stall.arrived.set()
            # aiosmtpd cancels this when the client's connection drops: nothing accepted.
            await asyncio.sleep(stall.LIMIT)
            return "451 4.3.0 Held by the test; try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.received.append(ReceivedEmail(envelope.mail_from, tuple(envelope.rcpt_tos),
                                               message))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpMailbox:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname=self.host, port=self.port)

    def start(self) -> SmtpMailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def stall_next(self) -> StalledDelivery:
        """Hold the next delivery once its data arrived, before the server accepts it
        (no "250"), until its client goes away: a sender that dies meanwhile has
        delivered nothing, as with a real server."""
        stall = StalledDelivery()
        with self._collector.arrived:
            self._collector.stall = stall
        return stall

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._collector.arrived:
            return list(self._collector.received)

    def wait_for(self, recipient: str, *, count: int = 1, timeout: float = 30.0
                 ) -> list[ReceivedEmail]:
        """The first ``count`` emails to ``recipient``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._collector.arrived:
            while True:
                found = [m for m in self._collector.received if recipient in m.recipients]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{count} email(s) to {recipient} expected within {timeout:.0f}s; "
                        f"received: {[(m.recipients, m.subject) for m in self._collector.received]}"
                    )
                self._collector.arrived.wait(left)


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """An empty shared cache (Redis), so that email cooldowns and login counters of
    earlier tests do not hold back this one's emails."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp_mailbox(fresh_cache: None) -> Iterator[SmtpMailbox]:
    mailbox = SmtpMailbox().start()
    yield mailbox
    mailbox.stop()


@pytest.fixture
def mail_worker(transactional_db: None, live_server: Any, smtp_mailbox: SmtpMailbox
                ) -> Iterator[CeleryWorker]:
    """The example site's Celery worker (Redis broker, the test database) sending
    email through ``smtp_mailbox`` over plain SMTP."""
    with example_site_worker("integration.settings", EMAIL_HOST=smtp_mailbox.host,
                             EMAIL_PORT=str(smtp_mailbox.port), EMAIL_USE_TLS="0") as worker:
        yield worker
