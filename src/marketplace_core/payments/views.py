"""Checkout, the post-payment landing page, and the generic webhook endpoint."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django_htmx.http import HttpResponseClientRedirect

from marketplace_core.accounts.emails import site_url
from marketplace_core.catalog.models import Product
from marketplace_core.discounts import checkout as discounts
from marketplace_core.discounts.services import Quote
from marketplace_core.exceptions import Rejected
from marketplace_core.guests import checkout as guests
from marketplace_core.maintenance.decorators import maintenance_exempt
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Order
from marketplace_core.panels.redirects import purchases_url
from marketplace_core.payments.countries import allowed_countries
from marketplace_core.payments.forms import BillingForm
from marketplace_core.payments.providers import (
    CheckoutError,
    InvalidWebhookEvent,
    WebhookDeferred,
    WebhookVerificationError,
)
from marketplace_core.people.names import display_name
from marketplace_core.people.users import email_of
from marketplace_core.plugins import registry
from marketplace_core.plugins.events import emit

logger = logging.getLogger("marketplace_core.payments")


class InitiateCheckoutSessionView(LoginRequiredMixin, View):
    """GET: the billing form. POST: create (or reuse) the order, start the
    provider's checkout and redirect there. Owners go to My Products instead.

    With ``GUEST_CHECKOUT`` a visitor who is not logged in buys with an email
    address (:mod:`marketplace_core.guests.checkout`).

    The form has an optional discount code. A POST with ``apply_discount``
    only previews it: the page (its total fragment for HTMX) with the new
    total or the reason the code cannot be used; no order is made.
    """

    template_name = "marketplace_core/payments/checkout.html"
    total_template_name = "marketplace_core/payments/_checkout_total.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if guests.guest_checkout_open(request):
            return View.dispatch(self, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def _product(self, slug: str) -> Product:
        return get_object_or_404(Product.objects.published(), slug=slug)

    def _form(self, data: Any = None) -> BillingForm:
        provider = registry.payment_provider()
        user = self.request.user
        initial = {"name": display_name(user), "email": email_of(user)}
        countries = allowed_countries(provider) if "country" in provider.billing_fields else None
        fields = provider.billing_fields
        if guests.guest_checkout_open(self.request) and "email" not in fields:
            fields = (*fields, "email")  # the order belongs to that address
        return BillingForm(data, fields=fields, countries=countries, initial=initial)

    def _already_owned(self) -> HttpResponse:
        messages.info(self.request, "You already own this product.")
        return HttpResponseRedirect(purchases_url(self.request.user))  # type: ignore[arg-type]

    def _own_product(self, product: Product) -> HttpResponse:
        messages.error(self.request, "This is your own product: you cannot buy it.")
        return HttpResponseRedirect(product.get_absolute_url())

    def _page(self, product: Product, form: BillingForm, code_form: discounts.CheckoutCodeForm,
              *, quote: Quote | None = None, discount_error: str = "", status: int = 200,
              ) -> HttpResponse:
        """The checkout page; ``quote`` is the total shown (default: the price)."""
        context = {"product": product, "form": form, "code_form": code_form,
                   "quote": quote or discounts.services.quote("", product=product),
                   "discount_error": discount_error}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        product = self._product(slug)
        if product.seller_id == request.user.pk:
            return self._own_product(product)
        if request.user.is_authenticated and services.owns(request.user, product):
            return self._already_owned()
        return self._page(product, self._form(), discounts.CheckoutCodeForm())

    def _apply_discount(self, product: Product) -> HttpResponse:
        """The preview of the code posted: the total fragment for HTMX, else the
        page with what was typed kept (and no billing errors yet)."""
        code_form = discounts.CheckoutCodeForm(self.request.POST)
        preview = discounts.preview(self.request, product, code_form)
        if self.request.htmx:  # type: ignore[attr-defined]
            return render(self.request, self.total_template_name, {"product": product, **preview})
        form = self._form()
        form.initial.update({name: self.request.POST.get(name, "") for name in form.fields
                             if name in self.request.POST})
        return self._page(product, form, code_form, **preview)

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        product = self._product(slug)
        if "apply_discount" in request.POST:
            return self._apply_discount(product)
        form = self._form(request.POST)
        code_form = discounts.CheckoutCodeForm(request.POST)
        code_problem = "" if code_form.is_valid() else discounts.field_errors(code_form)
        code: str = code_form.cleaned_data.get("discount_code", "") if not code_problem else ""
        if code:
            code_problem = discounts.throttled(request)
        if not form.is_valid() or code_problem:
            return self._page(product, form, code_form, discount_error=code_problem, status=400)
        provider = registry.payment_provider()
        buyer: Any = request.user
        as_guest = guests.guest_checkout_open(request)
        if as_guest:
            buyer = guests.guest_buyer(request, form, product)
            if isinstance(buyer, HttpResponse):
                return buyer
        try:
            order = services.start_checkout(
                buyer=buyer,
                product=product,
                provider=provider.identifier,
                billing=form.cleaned_data,
                language=translation.get_language() or "",
                site_url=site_url(request),
                discount_code=code,
            )
        except Rejected as exc:
            if exc.code.startswith("discount_"):
                discounts.count_failure(request)
                return self._page(product, form, code_form, discount_error=exc.message,
                                  status=400)
            if as_guest and exc.code in ("already_owned", "own_product"):
                return guests.cannot_buy_here(request, form, product)
            if exc.code == "already_owned":
                return self._already_owned()
            if exc.code == "own_product":
                return self._own_product(product)
            raise Http404(exc.message) from exc
        emit("checkout_started", order=order, request=request)
        try:
            session = provider.start_checkout(request, order)
        except CheckoutError as exc:
            logger.warning("Checkout failed for %s: %s", order, exc)
            form.add_error(None, str(exc) or "The payment provider is unavailable; try again.")
            return self._page(product, form, code_form, quote=Quote.of(order), status=502)
        services.attach_checkout(order, session.provider_checkout_id)
        if as_guest:
            guests.remember_order(request, order.reference)
        return HttpResponseRedirect(session.redirect_url)


def _buyer_order(request: HttpRequest, reference: str | UUID) -> Order:
    """The current user's order ``reference`` (or one this browser started
    without login); 404 for anyone else's or a malformed one."""
    try:
        ref = reference if isinstance(reference, UUID) else UUID(str(reference))
    except ValueError as exc:
        raise Http404("No such order.") from exc
    try:
        orders = Order.objects.select_related("product").filter(reference=ref)
        if request.user.is_authenticated:
            return orders.get(buyer_id=request.user.pk)
        if guests.started_here(request, ref):
            return orders.get()
        raise Http404("No such order.")
    except Order.DoesNotExist as exc:
        raise Http404("No such order.") from exc


def _outcome(order: Order) -> dict[str, Any]:
    """What the payment pages show for ``order``: it and, when its payment failed,
    the provider's reason (the latest failed attempt's)."""
    reason = ""
    if order.status == Order.Status.FAILED:
        failed = order.payments.filter(status="failed").order_by("-created_at", "-id").first()
        reason = failed.failure_reason if failed is not None else ""
    return {"order": order, "failure_reason": reason}


class PaymentSuccessView(guests.OrderStartedHereMixin, View):
    """Where the provider sends the buyer back. It grants nothing: it shows the
    order's real state (processing, which polls until a verified webhook
    settles it; failed with the provider's reason and "Try again"; expired;
    refunded) and sends a paid order's buyer to their products."""

    template_name = "marketplace_core/payments/success.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        order = _buyer_order(request, request.GET.get("order", ""))
        if order.status == Order.Status.PAID and not request.user.is_authenticated:
            return render(request, self.template_name, _outcome(order))  # a guest's: no login
        if order.status == Order.Status.PAID:
            messages.success(request, f"Payment received: {order.product.title} is yours.")
            return HttpResponseRedirect(purchases_url(request.user))  # type: ignore[arg-type]
        return render(request, self.template_name, _outcome(order))


class OrderStatusView(guests.OrderStartedHereMixin, View):
    """HTMX poll target: the order's status fragment, or a redirect once paid."""

    template_name = "marketplace_core/payments/_order_status.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        order = _buyer_order(request, reference)
        if order.status == Order.Status.PAID:
            return HttpResponseClientRedirect(
                reverse("marketplace:payment_success") + f"?order={order.reference}"
            )
        return render(request, self.template_name, _outcome(order))


#: Largest webhook body read, in bytes, whatever ``DATA_UPLOAD_MAX_MEMORY_SIZE``
#: says (it may be ``None``): payment events are a few kilobytes.
MAX_WEBHOOK_BODY = 1024 * 1024


def _body_fits(request: HttpRequest) -> bool:
    """Read the body once if it is within both caps (Django's and :data:`MAX_WEBHOOK_BODY`)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django reads no body without a usable Content-Length
    if declared > MAX_WEBHOOK_BODY:
        return False
    try:
        return len(request.body) <= MAX_WEBHOOK_BODY
    except RequestDataTooBig:
        return False


@method_decorator([csrf_exempt, maintenance_exempt], name="dispatch")
class PaymentWebhookView(View):
    """``POST /payments/webhooks/<provider>/``: one endpoint per provider.

    Verifies the raw body through the provider, then applies the delivery
    through core services in one transaction. Every answer is JSON: 200 for
    applied, duplicate and ignored deliveries; 400 with the reason for anything
    unverifiable (``"verification failed"``) or verified but not storable as
    reported (``"invalid event"``: see
    :func:`~marketplace_core.payments.providers.validate_event`); nothing is
    recorded then, so a corrected retry is applied; 503
    when the provider defers a genuine delivery it cannot resolve yet (nothing
    is recorded; the provider retries); 404 for an unknown provider or one
    that does not accept webhooks now (``PaymentProvider.accepts_webhooks``);
    405 for other methods; 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or
    :data:`MAX_WEBHOOK_BODY`. Every 4xx is logged as a warning. Errors
    while applying propagate (500), so the provider retries the whole delivery.
    """

    http_method_names = ["post"]

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any
                                ) -> JsonResponse:
        response = JsonResponse({"error": "method not allowed"}, status=405)
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest, provider: str) -> JsonResponse:
        payment_provider = registry.payment_providers().get(provider)
        if payment_provider is None or not payment_provider.accepts_webhooks():
            return JsonResponse({"error": f"unknown payment provider {provider!r}"}, status=404)
        if not _body_fits(request):
            logger.warning("Rejected %s webhook: body over %s bytes", provider, MAX_WEBHOOK_BODY)
            return JsonResponse({"error": "body too large"}, status=413)
        try:
            delivery = payment_provider.parse_webhook(request)
            result = services.apply_delivery(payment_provider.identifier, delivery)
        except WebhookVerificationError as exc:
            logger.warning("Rejected %s webhook: %s", provider, exc)
            error = "invalid event" if isinstance(exc, InvalidWebhookEvent) else (
                "verification failed")
            return JsonResponse({"error": error, "detail": str(exc)}, status=400)
        except WebhookDeferred as exc:
            logger.warning("Deferred %s webhook: %s", provider, exc)
            response = JsonResponse({"error": "try again later", "detail": str(exc)}, status=503)
            response["Retry-After"] = "60"
            return response
        return JsonResponse(
            {"status": "duplicate" if result.duplicate else "ok", "outcome": result.summary}
        )
