"""The status rules, over every (status, action, role): once against the status
machine itself and once through the pages a buyer and a seller use."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.urls import reverse
from marketplace_support import status_machine
from marketplace_support.models import SupportRequest
from marketplace_support.status_machine import Action, Role, Status, TransitionRefused

P, IP, DONE, X = Status.PENDING, Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED
START, COMPLETE, CANCEL = Action.START, Action.COMPLETE, Action.CANCEL
BUYER, SELLER = Role.BUYER, Role.SELLER

#: (status, action, role) → the status it leads to, or None when refused.
RULES: list[tuple[Status, Action, Role, Status | None]] = [
    (P, START, BUYER, None),
    (P, START, SELLER, IP),
    (P, COMPLETE, BUYER, None),
    (P, COMPLETE, SELLER, None),
    (P, CANCEL, BUYER, X),
    (P, CANCEL, SELLER, X),
    (IP, START, BUYER, None),
    (IP, START, SELLER, None),
    (IP, COMPLETE, BUYER, DONE),
    (IP, COMPLETE, SELLER, DONE),
    (IP, CANCEL, BUYER, None),
    (IP, CANCEL, SELLER, X),
    (DONE, START, BUYER, None),
    (DONE, START, SELLER, None),
    (DONE, COMPLETE, BUYER, None),
    (DONE, COMPLETE, SELLER, None),
    (DONE, CANCEL, BUYER, None),
    (DONE, CANCEL, SELLER, None),
    (X, START, BUYER, None),
    (X, START, SELLER, None),
    (X, COMPLETE, BUYER, None),
    (X, COMPLETE, SELLER, None),
    (X, CANCEL, BUYER, None),
    (X, CANCEL, SELLER, None),
]


def test_the_table_covers_every_status_action_and_role() -> None:
    combos = [(s, a, r) for s, a, r, _result in RULES]
    assert len(combos) == len(set(combos))
    assert set(combos) == set(itertools.product(Status, Action, Role))


@pytest.mark.parametrize(("status", "action", "role", "result"), RULES)
def test_status_machine(status: Status, action: Action, role: Role,
                        result: Status | None) -> None:
    assert status_machine.can(status, action, role) is (result is not None)
    if result is None:
        with pytest.raises(TransitionRefused) as refused:
            status_machine.next_status(status, action, role)
        assert refused.value.message  # a sentence for the person who asked
    else:
        assert status_machine.next_status(status, action, role) == result
        assert result in status_machine.targets(status, role)


def test_a_request_starts_pending_and_final_statuses_lock_it() -> None:
    assert status_machine.INITIAL == P
    assert [s for s in Status if status_machine.is_locked(s)] == [DONE, X]
    assert status_machine.targets(DONE, SELLER) == status_machine.targets(X, SELLER) == []


# Through the pages: the buyer's Cancel and Complete buttons, the seller's form.
# http: 302 done; 403 the buyer has no seller page; 409 refused by the rules;
# 200 the seller's form does not offer that status (shown again with an error).
PAGES: list[tuple[Status, Action, Role, int, Status]] = [
    (P, START, BUYER, 403, P),
    (P, START, SELLER, 302, IP),
    (P, COMPLETE, BUYER, 409, P),
    (P, COMPLETE, SELLER, 200, P),
    (P, CANCEL, BUYER, 302, X),
    (P, CANCEL, SELLER, 302, X),
    (IP, START, BUYER, 403, IP),
    # "in progress" is already the form's current choice: saving keeps it.
    (IP, START, SELLER, 302, IP),
    (IP, COMPLETE, BUYER, 302, DONE),
    (IP, COMPLETE, SELLER, 302, DONE),
    (IP, CANCEL, BUYER, 409, IP),
    (IP, CANCEL, SELLER, 302, X),
    *[(final, action, role, 403 if (role, action) == (BUYER, START) else 409, final)
      for final in (DONE, X) for action in Action for role in Role],
]
SELLER_TARGET = {START: IP, COMPLETE: DONE, CANCEL: X}
BUYER_URL = {COMPLETE: "support:complete", CANCEL: "support:cancel"}
#: What a refused buyer reads (final statuses: "... can no longer be changed.").
REFUSAL = {
    (P, COMPLETE): "Only a request in progress can be completed.",
    (IP, CANCEL): "A request can be cancelled only before the seller starts on it.",
}


def test_the_page_table_covers_every_status_action_and_role() -> None:
    assert {(s, a, r) for s, a, r, *_ in PAGES} == set(itertools.product(Status, Action, Role))


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action", "role", "http", "after"), PAGES)
def test_status_rules_through_the_pages(status: Status, action: Action, role: Role, http: int,
                                        after: Status, open_request: Any, buyer_client: Any,
                                        seller_client: Any) -> None:
    support_request = open_request(status)
    if role == SELLER:
        response = seller_client.post(
            reverse("support:update", args=[support_request.pk]),
            # confirm_final: the seller confirmed a final status (the page asks first).
            {"status": SELLER_TARGET[action], "meeting_link": "", "admin_notes": "",
             "confirm_final": "1"},
        )
    elif action == START:  # buyers have no way to start a request: only the seller's page
        response = buyer_client.post(
            reverse("support:update", args=[support_request.pk]), {"status": IP}
        )
    else:
        response = buyer_client.post(reverse(BUYER_URL[action], args=[support_request.pk]))
    assert response.status_code == http
    assert SupportRequest.objects.get(pk=support_request.pk).status == after
    if http == 409:
        assert REFUSAL.get((status, action), "can no longer be changed") in response.text
    if http == 200:
        assert "Select a valid choice" in response.text
