"""The seller's pages: incoming requests and their update form (seed §8).

Only requests about the seller's own products exist here: any other id is a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from marketplace_core.accounts.emails import site_url
from marketplace_core.panels.mixins import SellerPanelMixin
from marketplace_core.people.records import person_related
from marketplace_core.people.types import User
from marketplace_support import conversation, services, status_machine
from marketplace_support.conf import conf
from marketplace_support.forms import MessageForm, SellerUpdateForm
from marketplace_support.models import SupportRequest
from marketplace_support.status_machine import Role, Status, TransitionRefused


def _seller(request: HttpRequest) -> User:
    return cast(User, request.user)


class SupportRequestListView(SellerPanelMixin, ListView):
    """Requests about the seller's products, newest first; ``?status=`` filters."""

    template_name = "support/incoming.html"
    context_object_name = "support_requests"
    panel_nav_key = "support-incoming"

    def get_paginate_by(self, queryset: Any) -> int:
        return conf.PAGE_SIZE

    def _mine(self) -> QuerySet[SupportRequest]:
        return SupportRequest.objects.of_seller(self.request.user.pk)

    def get_queryset(self) -> QuerySet[SupportRequest]:
        wanted = self.request.GET.get("status", "")
        self.status = wanted if wanted in Status.values else ""
        queryset = self._mine().select_related("purchase__product",
                                               *person_related("purchase__buyer"))
        return queryset.filter(status=self.status) if self.status else queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = dict(
            self._mine().order_by().values_list("status").annotate(n=Count("id"))
        )
        context["status"] = self.status
        context["filters"] = [
            {"value": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Status.choices
        ]
        context["total"] = sum(counts.values())
        return context


class SupportRequestUpdateView(SellerPanelMixin, View):
    """The seller's page of one request: the conversation with the buyer (its
    form posts to :class:`SellerMessageView`), then status, meeting link and
    private notes.

    Completed and cancelled requests are locked: the form is shown read-only
    and a POST is refused with 409, changing nothing; the conversation takes no
    new message.
    """

    template_name = "support/update.html"
    panel_nav_key = "support-incoming"

    def get_object(self, pk: int) -> SupportRequest:
        return get_object_or_404(
            SupportRequest.objects.of_seller(self.request.user.pk).select_related(
                "purchase__product__seller", *person_related("purchase__buyer")
            ),
            pk=pk,
        )

    def render_form(self, support_request: SupportRequest, form: SellerUpdateForm,
                    confirm_final: str = "") -> HttpResponse:
        """The page with ``form``; ``confirm_final`` (a final status's label) asks
        before the save that would lock the request."""
        context = self.get_context_data(support_request=support_request, form=form,
                                        confirm_final=confirm_final)
        return render(self.request, self.template_name, context)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        support_request = kwargs["support_request"]
        context = {
            "panel_area": self.panel_area, "panel_nav_key": self.panel_nav_key,
            "thread": conversation.thread(support_request), "message_form": MessageForm(),
            "message_url": reverse("support:seller_message", args=[support_request.pk]),
        }
        return {**context, **kwargs}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        support_request = self.get_object(pk)
        return self.render_form(support_request, SellerUpdateForm(support_request=support_request))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        support_request = self.get_object(pk)
        # A locked request's form is all disabled fields, so it is valid with the
        # stored values; the service then refuses it (409 below).
        form = SellerUpdateForm(request.POST, support_request=support_request)
        if not form.is_valid():
            return self.render_form(support_request, form)
        closing = Status(form.cleaned_data["status"])
        if (closing in status_machine.FINAL and closing != support_request.status
                and not request.POST.get("confirm_final")):
            # Completed and cancelled are final: ask first, the seller's input kept.
            return self.render_form(support_request, form, confirm_final=str(closing.label))
        try:
            services.seller_update(
                seller=_seller(request), support_request_id=support_request.pk,
                changes=form.changes(), site_url=site_url(request),
            )
        except TransitionRefused as exc:  # locked, or the buyer acted meanwhile
            fresh = self.get_object(pk)
            return self._refused(fresh, exc.message)
        messages.success(request, _("Support request updated."))
        return redirect("support:incoming")

    def _refused(self, support_request: SupportRequest, message: str) -> HttpResponse:
        """409 with the stored state in the form; nothing was changed."""
        form = SellerUpdateForm(support_request=support_request)
        context = self.get_context_data(support_request=support_request, form=form,
                                        refusal=message)
        return render(self.request, self.template_name, context, status=409)


class SellerMessageView(SupportRequestUpdateView):
    """POST only (CSRF-checked): the seller writes in the conversation of a request
    about one of their products."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return conversation.post(request, self.get_object(pk), Role.SELLER, self._message_page)

    def _message_page(self, support_request: SupportRequest, form: MessageForm,
                      status: int, refusal: str) -> HttpResponse:
        context = self.get_context_data(
            support_request=support_request, message_form=form, message_refusal=refusal,
            form=SellerUpdateForm(support_request=support_request),
        )
        return render(self.request, self.template_name, context, status=status)
