"""Who may open every support page: anonymous, customer, seller owner, other seller.

Table-driven like core's ``tests/test_panel_permissions.py``, over every URL
the plugin registers (``marketplace_support.urls``), for GET and for POST:

- Anonymous visitors are sent to log in (``?next=`` the page), whatever the method.
- The customer is the buyer: they own the purchase and the requests on it.
- The seller owner sells the product the requests are about; the other seller
  sells something else. Sellers buy too, so the buyer's pages answer them, with
  only their own rows; objects are looked up through their owner, so someone
  else's purchase or request is a 404, and a POST to it changes nothing.
- Seller pages give a customer 403.
- Pages of one method answer the other with 405 (after the login check).
- A message is written only by the request's buyer (on the buyer's page) and the
  product's seller (on the seller's page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse
from marketplace_support.models import SupportMessage, SupportRequest
from marketplace_support.urls import urlpatterns

from marketplace_core.ownership.models import PurchasedProduct
from tests.helpers import buy

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "customer", "owner", "other"]

#: Expected status per role (anonymous, customer, owner, other), for GET and POST.
#: 302 for the customer's and the owner's POSTs is "done, see the result".
GET: dict[str, tuple[int, int, int, int]] = {
    "create": (302, 200, 404, 404),
    "my_requests": (302, 200, 200, 200),
    "seller_my_requests": (302, 403, 200, 200),
    "cancel": (302, 405, 405, 405),
    "cancel_confirm": (302, 200, 404, 404),
    "complete": (302, 405, 405, 405),
    "incoming": (302, 403, 200, 200),
    "update": (302, 403, 200, 404),
    "detail": (302, 200, 404, 404),
    "buyer_message": (302, 405, 405, 405),
    "seller_message": (302, 403, 405, 405),
}
POST: dict[str, tuple[int, int, int, int]] = {
    "create": (302, 302, 404, 404),
    "my_requests": (302, 405, 405, 405),
    "seller_my_requests": (302, 403, 405, 405),
    "cancel": (302, 302, 404, 404),
    "cancel_confirm": (302, 405, 405, 405),
    "complete": (302, 302, 404, 404),
    "incoming": (302, 403, 405, 405),
    "update": (302, 403, 302, 404),
    "detail": (302, 405, 405, 405),
    "buyer_message": (302, 302, 404, 404),
    "seller_message": (302, 403, 302, 404),
}
#: Who writes the message a page's allowed POST adds.
MESSAGE_FROM = {"buyer_message": "buyer", "seller_message": "seller"}
#: What each page's POST carries (a valid form for the role allowed to send it).
POST_DATA: dict[str, dict[str, str]] = {
    "create": {"subject": "Which paper?", "message": "What paper suits these brushes?"},
    "update": {"status": "in_progress", "meeting_link": "https://meet.example.com/abc",
               "admin_notes": "Called back."},
    "buyer_message": {"body": "Any news?"},
    "seller_message": {"body": "Tomorrow at ten?"},
}
#: Whose rows a list page shows: the subject of the owner's request appears for them only.
LIST_SHOWS_REQUESTS_TO = {
    "my_requests": {"customer"},
    "seller_my_requests": set(),  # sellers' own requests as buyers: none in this world
    "incoming": {"owner"},
}


@dataclass
class World:
    """The customer bought three of the owner's products; the other seller sold them nothing."""

    users: dict[str, Any]
    #: Bought, no request yet: the create page's target.
    fresh: PurchasedProduct
    #: Pending: the cancel and update pages' target.
    pending: SupportRequest
    #: In progress: the complete page's target.
    in_progress: SupportRequest

    def url(self, name: str) -> str:
        if name == "create":
            return reverse("support:create", args=[self.fresh.pk])
        if name in ("cancel", "cancel_confirm", "update", "detail", "buyer_message",
                    "seller_message"):
            return reverse(f"support:{name}", args=[self.pending.pk])
        if name == "complete":
            return reverse("support:complete", args=[self.in_progress.pk])
        return reverse(f"support:{name}")

    def client(self, who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(self.users[who])
        return client

    def state(self) -> list[tuple[Any, ...]]:
        """Every support request's fields a POST could change, by pk, and every message."""
        return [*self.requests(), *self.messages()]

    def requests(self) -> list[tuple[Any, ...]]:
        return list(SupportRequest.objects.order_by("pk").values_list(
            "pk", "purchase_id", "status", "meeting_link", "admin_notes", "subject", "message"))

    def messages(self) -> list[tuple[Any, ...]]:
        return list(SupportMessage.objects.order_by("pk").values_list(
            "support_request_id", "author_role", "body"))

    def statuses(self) -> dict[int, str]:
        return {pk: status for pk, _, status, *_ in self.requests()}


@pytest.fixture
def world(make_user: Any, make_seller: Any, make_product: Any) -> World:
    customer, owner, other = make_user(), make_seller(), make_seller()
    make_product(seller=other, title="Other Seller's Paper")
    fresh, for_pending, for_progress = (
        buy(customer, make_product(seller=owner, title=f"Owner's {kind}"))
        for kind in ("Brushes", "Easel", "Canvas")
    )
    pending = SupportRequest.objects.create(purchase=for_pending, subject="Owner's pending",
                                            message="?")
    in_progress = SupportRequest.objects.create(purchase=for_progress, status="in_progress",
                                                subject="Owner's in progress", message="?")
    return World({"customer": customer, "owner": owner, "other": other}, fresh, pending,
                 in_progress)


def test_the_tables_cover_every_url_the_plugin_registers() -> None:
    names = {pattern.name for pattern in urlpatterns if isinstance(pattern, URLPattern)}
    assert len(names) == len(urlpatterns)  # no include() hides more pages
    assert set(GET) == names
    assert set(POST) == names


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name", sorted(GET))
def test_get_matrix(world: World, name: str, who: str) -> None:
    target = world.url(name)
    before = world.state()

    response = world.client(who).get(target)

    assert response.status_code == GET[name][ROLES.index(who)], (name, who)
    if who == "anonymous":
        assert response["Location"] == f"{reverse('marketplace:login')}?next={target}"
    if response.status_code == 200 and name in LIST_SHOWS_REQUESTS_TO:
        shown = "Owner&#x27;s pending" in response.text
        assert shown == (who in LIST_SHOWS_REQUESTS_TO[name]), (name, who)
    assert world.state() == before  # a GET changes nothing


def _expected_change(world: World, name: str) -> dict[str, Any]:
    """What the allowed POST to ``name`` changes, as ``{request pk: status}`` (new: 0)."""
    return {
        "create": {0: "pending"},
        "cancel": {world.pending.pk: "cancelled"},
        "complete": {world.in_progress.pk: "completed"},
        "update": {world.pending.pk: "in_progress"},
    }.get(name, {})


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name", sorted(POST))
def test_post_matrix(world: World, name: str, who: str) -> None:
    target = world.url(name)
    before, before_statuses, before_messages = world.state(), world.statuses(), world.messages()

    response = world.client(who).post(target, POST_DATA.get(name, {}))

    status = POST[name][ROLES.index(who)]
    assert response.status_code == status, (name, who)
    if who == "anonymous":
        assert response["Location"] == f"{reverse('marketplace:login')}?next={target}"
    if status != 302 or who == "anonymous":
        assert world.state() == before, (name, who)  # refused: nothing changed at all
        return
    after = world.statuses()
    changed = {pk: s for pk, s in after.items() if before_statuses.get(pk) != s}
    expected = _expected_change(world, name)
    if 0 in expected:  # a new request
        [new_pk] = set(after) - set(before_statuses)
        expected = {new_pk: expected[0]}
        assert SupportRequest.objects.get(pk=new_pk).purchase_id == world.fresh.pk
    assert changed == expected, (name, who)
    written = world.messages()[len(before_messages):]
    if name in MESSAGE_FROM:
        assert written == [(world.pending.pk, MESSAGE_FROM[name], POST_DATA[name]["body"])]
    else:
        assert written == []
