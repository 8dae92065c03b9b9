"""The seller's webhook endpoints: list, create, edit, delete, the secret (with
"Rotate"), "Send test event", and each endpoint's delivery log with "Resend".

Endpoints and deliveries are looked up through the seller, so another seller's
id is a 404. Every change is a POST through :mod:`marketplace_core.outbound.services`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DeleteView, DetailView, FormView, ListView

from marketplace_core.accounts.throttling import RateLimit, minutes
from marketplace_core.exceptions import Rejected
from marketplace_core.outbound import services
from marketplace_core.outbound.forms import WebhookEndpointForm
from marketplace_core.outbound.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint
from marketplace_core.panels.mixins import SellerOwnedMixin, SellerPanelMixin

NAV_KEY = "seller-webhooks"
#: Test events and resends one seller may ask for per hour (each sends a request
#: out of the site's network, so they are counted).
MANUAL_SENDS = RateLimit("marketplace.webhooks.manual_sends", 30, 3600)


def _allowed_to_send(request: HttpRequest) -> bool:
    """Count a test event or resend of the seller; ``False`` (with a message) past the limit."""
    usage = MANUAL_SENDS.usage(f"seller:{request.user.pk}", increment=True)
    if usage.exceeded:
        messages.error(request, f"You sent {MANUAL_SENDS.count} test events and resends "
                                f"within the hour; try again in {minutes(usage.retry_after)} "
                                "minutes.")
        return False
    return True
#: Deliveries shown per page of an endpoint's log.
DELIVERIES_PER_PAGE = 25


def _detail_url(endpoint: WebhookEndpoint) -> str:
    return reverse("marketplace:seller_webhook_detail", kwargs={"pk": endpoint.pk})


class SellerWebhookListView(SellerPanelMixin, ListView):
    """The seller's endpoints with their events, state and deliveries waiting."""

    template_name = "marketplace_core/seller/webhook_list.html"
    context_object_name = "endpoints"
    panel_nav_key = NAV_KEY

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return (WebhookEndpoint.objects.filter(seller_id=self.request.user.pk)
                .annotate(failed_count=Count("deliveries", filter=_failed()))
                .order_by("created_at", "id"))


def _failed() -> Any:
    from django.db.models import Q

    return Q(deliveries__status=OutboundDelivery.Status.FAILED)


class _EndpointFormView(SellerPanelMixin, FormView):
    template_name = "marketplace_core/seller/webhook_form.html"
    form_class = WebhookEndpointForm
    panel_nav_key = NAV_KEY
    endpoint: WebhookEndpoint | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "seller": self.request.user,
                "instance": self.endpoint}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(endpoint=self.endpoint, **kwargs)


class SellerWebhookCreateView(_EndpointFormView):
    def form_valid(self, form: WebhookEndpointForm) -> HttpResponse:
        data = form.cleaned_data
        endpoint = services.create_endpoint(self.request.user, url=data["url"],
                                            description=data["description"],
                                            events=data["events"])
        messages.success(self.request, "The endpoint is saved. Use its signing secret to "
                                       "verify deliveries.")
        return HttpResponseRedirect(_detail_url(endpoint))


class SellerWebhookUpdateView(_EndpointFormView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            self.endpoint = get_object_or_404(WebhookEndpoint, pk=kwargs["pk"],
                                              seller_id=request.user.pk)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: WebhookEndpointForm) -> HttpResponse:
        assert self.endpoint is not None
        data = form.cleaned_data
        services.update_endpoint(self.endpoint, url=data["url"], description=data["description"],
                                 events=data["events"], is_active=data["is_active"])
        messages.success(self.request, "The endpoint is saved.")
        return HttpResponseRedirect(_detail_url(self.endpoint))


class SellerWebhookDetailView(SellerOwnedMixin, DetailView):
    """An endpoint: its secret, actions, and its delivery log (newest first), each
    delivery with its attempts. Three queries, whatever the number of rows."""

    model = WebhookEndpoint
    template_name = "marketplace_core/seller/webhook_detail.html"
    context_object_name = "endpoint"
    panel_nav_key = NAV_KEY

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoint: WebhookEndpoint = self.object
        deliveries = (endpoint.deliveries.order_by("-created_at", "-id")
                      .prefetch_related(Prefetch(
                          "attempt_log",
                          queryset=OutboundAttempt.objects.order_by("-number")))
                      [:DELIVERIES_PER_PAGE])
        now = timezone.now()
        context.update(
            deliveries=deliveries,
            previous_secret_valid=bool(endpoint.previous_secret
                                       and endpoint.previous_secret_expires_at
                                       and endpoint.previous_secret_expires_at > now),
        )
        return context


class SellerWebhookDeleteView(SellerOwnedMixin, DeleteView):
    model = WebhookEndpoint
    template_name = "marketplace_core/seller/webhook_confirm_delete.html"
    context_object_name = "endpoint"
    panel_nav_key = NAV_KEY

    def form_valid(self, form: Any) -> HttpResponse:
        self.object.delete()
        messages.success(self.request, "The endpoint is deleted; nothing more is sent to it.")
        return HttpResponseRedirect(reverse("marketplace:seller_webhooks"))


class _EndpointActionView(SellerPanelMixin, View):
    """A POST-only action on one of the seller's endpoints."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk, seller_id=request.user.pk)
        self.act(endpoint)
        return HttpResponseRedirect(_detail_url(endpoint))

    def act(self, endpoint: WebhookEndpoint) -> None:
        raise NotImplementedError


class SellerWebhookRotateView(_EndpointActionView):
    def act(self, endpoint: WebhookEndpoint) -> None:
        services.rotate_secret(endpoint)
        messages.success(self.request, "New signing secret made. Deliveries are signed with "
                                       "the old one too for 24 hours: update your receiver.")


class SellerWebhookTestView(_EndpointActionView):
    def act(self, endpoint: WebhookEndpoint) -> None:
        if not _allowed_to_send(self.request):
            return
        services.send_test_event(endpoint)
        messages.success(self.request, "A test event is on its way; it shows in the log below.")


class SellerWebhookResendView(SellerPanelMixin, View):
    """Send one of the seller's deliveries again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = get_object_or_404(OutboundDelivery.objects.select_related("endpoint"),
                                     pk=pk, endpoint__seller_id=request.user.pk)
        if not _allowed_to_send(request):
            return HttpResponseRedirect(_detail_url(delivery.endpoint))
        try:
            services.resend(delivery)
        except Rejected as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{delivery.event_type} is being sent again.")
        return HttpResponseRedirect(_detail_url(delivery.endpoint))
