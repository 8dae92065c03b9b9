"""The only writers of support requests.

Each function runs in one transaction, locks the request row before it reads
its status (so a buyer's cancel and the seller's update cannot both win), asks
:mod:`marketplace_support.status_machine` whether the change is allowed, and
announces what happened after commit:

- :func:`open_request` fires ``support_request_created`` and tells the seller
  (:mod:`marketplace_support.seller_notice`);
- a status change fires ``support_request_status_changed``;
- a change by the seller that the buyer should hear about (status or meeting
  link) queues the buyer's email as a Celery task, once the transaction commits;
- :func:`post_message` fires ``support_message_posted`` and queues the other
  side's email.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.events import emit
from marketplace_support import status_machine
from marketplace_support.models import SupportMessage, SupportRequest, SupportRequestQuerySet
from marketplace_support.seller_notice import notify_seller
from marketplace_support.status_machine import Action, Role, Status, TransitionRefused
from marketplace_support.webhooks import emit_support_created

if TYPE_CHECKING:
    from marketplace_core.people.types import User


class AlreadyActive(Rejected):
    """The purchase already has an open (pending or in progress) request."""

    def __init__(self, existing: SupportRequest | None = None) -> None:
        super().__init__(
            _("You already have an open support request for this product."), code="already_active"
        )
        self.existing = existing


def open_request(*, buyer: User, purchase: PurchasedProduct, subject: str,
                 message: str) -> SupportRequest:
    """A new pending request about ``purchase``, which must be ``buyer``'s and active.

    Raises :class:`Rejected` when the ownership is not (or no longer) active and
    :class:`AlreadyActive` when the purchase has an open request; the second is
    decided by the database constraint, so two concurrent submissions create
    one request.
    """
    with transaction.atomic():
        owned = PurchasedProduct.objects.active().filter(pk=purchase.pk, buyer_id=buyer.pk)
        if not owned.exists():
            raise Rejected(_("You do not own this product."), code="not_owned")
        try:
            with transaction.atomic():  # a savepoint: the outer transaction stays usable
                support_request = SupportRequest.objects.create(
                    purchase=purchase, subject=subject.strip(), message=message.strip()
                )
        except IntegrityError:
            existing = SupportRequest.objects.active().filter(purchase=purchase).first()
            if existing is None:
                raise  # another constraint: a bug, not a duplicate
            raise AlreadyActive(existing) from None
        emit("support_request_created", support_request=support_request)
        emit_support_created(support_request)
        notify_seller(support_request)
    return support_request


def buyer_action(*, buyer: User, support_request_id: int, action: Action) -> SupportRequest:
    """The buyer cancels or completes their request, as the status machine allows.

    The request is looked up through ``buyer`` (``SupportRequest.DoesNotExist``
    otherwise). Raises :class:`TransitionRefused` when the rules say no.
    """
    with transaction.atomic():
        support_request = _locked(SupportRequest.objects.of_buyer(buyer.pk), support_request_id)
        new_status = status_machine.next_status(support_request.status, action, Role.BUYER)
        _move(support_request, new_status)
        support_request.save()
    return support_request


@dataclass(frozen=True)
class SellerChanges:
    """What the seller's form submitted."""

    status: str
    meeting_link: str
    admin_notes: str


def seller_update(*, seller: User, support_request_id: int, changes: SellerChanges,
                  site_url: str) -> SupportRequest:
    """Apply the seller's form to one of the seller's requests.

    A locked (completed or cancelled) request refuses every change with
    :class:`TransitionRefused`, as does a status the seller may not move to.
    When the status or the meeting link changes, the buyer is emailed (links in
    the email start with ``site_url``).
    """
    with transaction.atomic():
        support_request = _locked(
            SupportRequest.objects.of_seller(seller.pk), support_request_id
        )
        if support_request.is_locked:
            raise status_machine.TransitionRefused(
                status_machine.locked_refusal(support_request.status),
                status=support_request.status, action="update", role=Role.SELLER,
            )
        buyer_visible = False
        if changes.status != support_request.status:
            action = status_machine.action_to(support_request.status, changes.status)
            if action is None:
                raise TransitionRefused(
                    _("A %(old)s request cannot become %(new)s.") % {
                        "old": support_request.get_status_display().lower(),
                        "new": Status(changes.status).label.lower(),
                    },
                    status=support_request.status, action="update", role=Role.SELLER,
                )
            new_status = status_machine.next_status(support_request.status, action, Role.SELLER)
            _move(support_request, new_status)
            buyer_visible = True
        if changes.meeting_link != support_request.meeting_link:
            support_request.meeting_link = changes.meeting_link
            buyer_visible = True
        support_request.admin_notes = changes.admin_notes
        if buyer_visible:
            support_request.version += 1
        support_request.full_clean(exclude=["purchase"])
        support_request.save()
        if buyer_visible:
            from marketplace_support.tasks import email_buyer

            transaction.on_commit(partial(
                email_buyer.delay, support_request.pk, support_request.version, site_url
            ))
    return support_request


def post_message(*, author: User, role: Role, support_request_id: int, body: str,
                 site_url: str) -> SupportMessage:
    """``author`` writes ``body`` in the conversation of a request, as ``role``.

    The request is looked up through ``author`` in that role (the buyer's own
    request, or one about the seller's product; ``SupportRequest.DoesNotExist``
    otherwise). A locked (completed or cancelled) request takes no new message:
    :class:`TransitionRefused`, and nothing is saved. After commit,
    ``support_message_posted`` fires and the other side is emailed (links in the
    email start with ``site_url``).
    """
    requests = (SupportRequest.objects.of_seller(author.pk) if role == Role.SELLER
                else SupportRequest.objects.of_buyer(author.pk))
    with transaction.atomic():
        # The lock orders a message against the status change that would lock the request.
        support_request = _locked(requests, support_request_id)
        if support_request.is_locked:
            raise TransitionRefused(locked_message(support_request), status=support_request.status,
                                    action="message", role=role)
        message = SupportMessage(support_request=support_request, author=author,
                                 author_role=role, body=body.strip())
        message.full_clean(exclude=["support_request", "author"])
        message.save()
        emit("support_message_posted", message=message)
        from marketplace_support.tasks import email_message

        transaction.on_commit(partial(email_message.delay, message.pk, site_url))
    return message


def locked_message(support_request: SupportRequest) -> str:
    """Why a locked request's conversation takes no new message."""
    return _("This support request is %(status)s: it takes no new messages.") % {
        "status": support_request.get_status_display().lower()}


def _locked(queryset: SupportRequestQuerySet, pk: int) -> SupportRequest:
    # of=("self",): on PostgreSQL lock only the request, not the joined purchase and product.
    return queryset.select_for_update(of=("self",)).select_related(
        "purchase__product", "purchase__buyer"
    ).get(pk=pk)


def _move(support_request: SupportRequest, new_status: Status) -> None:
    """Set the new status and fire ``support_request_status_changed`` after commit."""
    old_status = support_request.status
    now = timezone.now()
    support_request.status = new_status
    support_request.status_changed_at = now
    if status_machine.is_locked(new_status):
        support_request.closed_at = now
    emit("support_request_status_changed", support_request=support_request,
         old_status=str(old_status))
