"""The buyer's pages (seed §8, and the "my support" wrappers of §4/§5).

Every lookup goes through the buyer: a purchase or request of someone else is
a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView

from marketplace_core.exceptions import Rejected
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.panels.mixins import CustomerPanelMixin, PanelMixin, SellerPanelMixin
from marketplace_core.people.records import person_related
from marketplace_core.people.types import User
from marketplace_core.roles import is_seller
from marketplace_support import conversation, services
from marketplace_support.conf import conf
from marketplace_support.forms import MessageForm, SupportRequestForm
from marketplace_support.models import SupportRequest
from marketplace_support.status_machine import Action, Role, TransitionRefused
from marketplace_support.urls_for import my_support_url


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _panel(user: User) -> dict[str, str]:
    """Sellers see their own requests in the seller panel, everyone else in the customer one."""
    if is_seller(user):
        return {"panel_area": "seller", "panel_nav_key": "seller-my-support"}
    return {"panel_area": "customer", "panel_nav_key": "my-support"}


def _to_request(user: User, support_request: SupportRequest) -> HttpResponse:
    return redirect(f"{my_support_url(user)}#support-request-{support_request.pk}")


def refused(request: HttpRequest, exc: TransitionRefused | str,
            support_request: SupportRequest | None = None) -> HttpResponse:
    """409: the request's state does not allow what was asked (nothing changed)."""
    message = exc.message if isinstance(exc, TransitionRefused) else exc
    context = {**_panel(_user(request)), "message": message, "support_request": support_request,
               "back_url": my_support_url(request.user)}
    return render(request, "support/refused.html", context, status=409)


class SupportRequestCreateView(LoginRequiredMixin, PanelMixin, FormView):
    """Open a request about a product the user owns (active ownership only).

    When the purchase already has an open request the buyer is sent to it; the
    database constraint settles two submissions racing each other.
    """

    template_name = "support/request_form.html"
    form_class = SupportRequestForm
    purchase: PurchasedProduct

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.purchase = get_object_or_404(
            PurchasedProduct.objects.active().select_related(
                "product", *person_related("product__seller")),
            pk=kwargs["purchase_pk"], buyer_id=request.user.pk,
        )
        existing = SupportRequest.objects.active().filter(purchase=self.purchase).first()
        if existing is not None:
            messages.info(request, _("You already have an open support request for this "
                                     "product."))
            return _to_request(_user(request), existing)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(_panel(_user(self.request)))
        context["purchase"] = self.purchase
        context["product"] = self.purchase.product
        return context

    def form_valid(self, form: SupportRequestForm) -> HttpResponse:
        user = _user(self.request)
        try:
            support_request = services.open_request(
                buyer=user, purchase=self.purchase, subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
            )
        except services.AlreadyActive as exc:
            messages.info(self.request, exc.message)
            return redirect(my_support_url(user)) if exc.existing is None else _to_request(
                user, exc.existing)
        except Rejected as exc:  # the ownership was revoked meanwhile
            raise Http404(exc.message) from exc
        messages.success(self.request, _("Your support request was sent to the seller."))
        return _to_request(user, support_request)


class GenericMySupportListView(LoginRequiredMixin, ListView):
    """The current user's own requests, newest first, paginated.

    Each request says whether the buyer can cancel it (only while pending) and
    complete it (only while in progress): ``can_cancel`` and ``can_complete``,
    both answered by the status machine. The seller's notes are never shown.
    """

    template_name = "support/my_requests.html"
    context_object_name = "support_requests"

    def get_paginate_by(self, queryset: Any) -> int:
        return conf.PAGE_SIZE

    def get_queryset(self) -> QuerySet[SupportRequest]:
        return SupportRequest.objects.of_buyer(self.request.user.pk).select_related(
            "purchase__product", *person_related("purchase__product__seller")
        )


class CustomerMySupportListView(CustomerPanelMixin, GenericMySupportListView):
    """The buyer's requests in the customer panel."""

    panel_nav_key = "my-support"


class SellerMySupportListView(SellerPanelMixin, GenericMySupportListView):
    """The requests a seller opened as a buyer, in the seller panel."""

    panel_nav_key = "seller-my-support"


class BuyerActionView(LoginRequiredMixin, View):
    """POST only (CSRF-checked): the buyer takes ``action`` on one of their requests."""

    http_method_names = ["post"]
    action: ClassVar[Action]
    done_message: ClassVar[Any]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = _user(request)
        try:
            support_request = services.buyer_action(
                buyer=user, support_request_id=pk, action=self.action
            )
        except SupportRequest.DoesNotExist:
            raise Http404(_("No such support request.")) from None
        except TransitionRefused as exc:
            current = SupportRequest.objects.of_buyer(user.pk).filter(pk=pk).first()
            return refused(request, exc, current)
        messages.success(request, str(self.done_message))
        return _to_request(user, support_request)


class SupportCancelView(BuyerActionView):
    """Cancel a request; allowed only in its early stage (pending)."""

    action = Action.CANCEL
    done_message = gettext_lazy("Support request cancelled.")


class SupportCancelConfirmView(LoginRequiredMixin, View):
    """GET: ask before cancelling (it locks the request for good); the page's button
    posts to :class:`SupportCancelView`. A request that can no longer be cancelled
    leads to its page, which says its status."""

    http_method_names = ["get"]
    template_name = "support/confirm_cancel.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = _user(request)
        support_request = get_object_or_404(
            SupportRequest.objects.of_buyer(user.pk).select_related("purchase__product"), pk=pk)
        if not support_request.can_cancel:
            return redirect("support:detail", support_request.pk)
        context = {**_panel(user), "support_request": support_request,
                   "back_url": reverse("support:detail", args=[support_request.pk])}
        return render(request, self.template_name, context)


class SupportCompleteView(BuyerActionView):
    """Mark a request completed; allowed only while it is in progress."""

    action = Action.COMPLETE
    done_message = gettext_lazy("Support request marked as completed.")


class SupportRequestDetailView(LoginRequiredMixin, View):
    """The buyer's page of one request: its status, the meeting link, the
    conversation with the seller and the form to write in it.

    GET here; the form posts to :class:`BuyerMessageView`. The seller's notes
    are never shown.
    """

    template_name = "support/detail.html"

    def get_object(self, pk: int) -> SupportRequest:
        return get_object_or_404(
            SupportRequest.objects.of_buyer(self.request.user.pk).select_related(
                *person_related("purchase__buyer"), "purchase__product",
                *person_related("purchase__product__seller")),
            pk=pk,
        )

    def render_page(self, support_request: SupportRequest, form: MessageForm,
                    status: int = 200, refusal: str = "") -> HttpResponse:
        context = {
            **_panel(_user(self.request)), "support_request": support_request,
            "thread": conversation.thread(support_request), "message_form": form,
            "message_url": reverse("support:buyer_message", args=[support_request.pk]),
            "refusal": refusal, "back_url": my_support_url(self.request.user),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(self.get_object(pk), MessageForm())


class BuyerMessageView(SupportRequestDetailView):
    """POST only (CSRF-checked): the buyer writes in the conversation of their request."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return conversation.post(request, self.get_object(pk), Role.BUYER, self.render_page)
