"""The optional support hooks, called the way the support plugin calls them.

The support plugin is not installed in this plugin's test environment (the
integration tests run both together), so the request is a stand-in with exactly
the attributes ``marketplace_support``'s hookspecs document for listeners.

The support plugin fires these hooks after its transaction commits, in
autocommit; the tests do the same (a transactional database), so core's
``notify()`` queues at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from marketplace_core.plugins.manager import get_plugin_manager

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.by_database]

STATUS_LABELS = {"pending": "Pending", "in_progress": "In progress",
                 "completed": "Completed", "cancelled": "Cancelled"}


def bea() -> Any:
    """The buyer: a real user of the configured user model (any model works)."""
    from marketplace_core.testing.factories import make_user

    return make_user(name="Bea & Co", email="bea@example.com")


@dataclass
class Product:
    title: str


@dataclass
class StandInSupportRequest:
    """What ``support_request_created`` passes, per the support plugin's docs."""

    pk: int
    subject: str
    message: str
    status: str = "pending"
    meeting_link: str = ""
    admin_notes: str = "PRIVATE seller notes"
    product: Product = field(default_factory=lambda: Product("Brush Set <Pro>"))
    buyer: Any = field(default_factory=bea)

    def get_status_display(self) -> str:
        return STATUS_LABELS[self.status]

    def get_seller_url(self) -> str:
        return f"/support/incoming/{self.pk}/"


@pytest.fixture
def hook() -> Any:
    return get_plugin_manager().hook


def test_a_new_request_is_announced_with_a_link(fake_bot: Any, hook: Any, settings: Any) -> None:
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example.com"}
    request = StandInSupportRequest(7, "Sizes <b>?</b>", "Which sizes & shapes?\nThanks")
    hook.support_request_created(support_request=request)
    [message] = fake_bot.messages
    assert message.text == (
        "New support request: Sizes <b>?</b>\n\n"
        "Brush Set <Pro>\nfrom Bea & Co <bea@example.com>\n\nWhich sizes & shapes?\nThanks"
        "\n\nOpen"
    )
    assert 'href="https://shop.example.com/support/incoming/7/"' in message.raw_text
    assert "PRIVATE" not in message.raw_text


def test_a_status_change_is_announced_once(fake_bot: Any, hook: Any) -> None:
    request = StandInSupportRequest(8, "Call me", "Please", status="in_progress")
    for _ in range(2):  # events may repeat
        hook.support_request_status_changed(support_request=request, old_status="pending")
    [message] = fake_bot.messages
    assert message.text.startswith("Support request in progress: Call me\n\n")
    assert message.text.endswith("Pending → In progress")
    assert "Open" not in message.text  # no SITE_URL: no link
    request.status = "completed"
    hook.support_request_status_changed(support_request=request, old_status="in_progress")
    assert [m.text.split("\n")[0] for m in fake_bot.messages] == [
        "Support request in progress: Call me", "Support request completed: Call me"]
