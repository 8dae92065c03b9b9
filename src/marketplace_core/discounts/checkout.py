"""The discount code on the checkout page: its field, its preview, and the
limit on wrong codes from one client address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace_core.accounts.throttling import RateLimit, minutes
from marketplace_core.discounts import services
from marketplace_core.discounts.models import MAX_CODE_LENGTH
from marketplace_core.exceptions import Rejected
from marketplace_core.forms_rendering import MarketplaceForm

if TYPE_CHECKING:
    from django.http import HttpRequest

    from marketplace_core.catalog.models import Product

#: ``ADDRESS_RATE_LIMITS`` action: codes refused for one client address.
FAILURES = "discount_code_failures"


class CheckoutCodeForm(MarketplaceForm):
    """The optional code typed at checkout (any letter case)."""

    discount_code = forms.CharField(
        label=gettext_lazy("Discount code"), required=False, max_length=MAX_CODE_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )


def preview(request: HttpRequest, product: Product, form: CheckoutCodeForm) -> dict[str, Any]:
    """The checkout total's template context for the code in ``form``: ``quote``
    (the price without a code when it is refused) and ``discount_error``.

    Each refused code counts against the client address's
    ``discount_code_failures`` limit; past it, no code is checked (a buyer
    cannot try codes by the thousand).
    """
    price = services.quote("", product=product)
    if not form.is_valid():
        return {"quote": price, "discount_error": field_errors(form)}
    text = form.cleaned_data["discount_code"]
    if not text:
        return {"quote": price, "discount_error": ""}
    problem = throttled(request)
    if problem:
        return {"quote": price, "discount_error": problem}
    buyer = request.user if request.user.is_authenticated else None
    try:
        return {"quote": services.quote(text, product=product, buyer=buyer),
                "discount_error": ""}
    except Rejected as exc:
        count_failure(request)
        return {"quote": price, "discount_error": exc.message}


def field_errors(form: CheckoutCodeForm) -> str:
    """The code field's errors as one message (``""`` when it has none)."""
    return " ".join(str(error) for error in form.errors.get("discount_code", []))


def throttled(request: HttpRequest) -> str:
    """The refusal for a client address over its limit of wrong codes, else ``""``."""
    usage = RateLimit.per_address(FAILURES).peek(request)
    if not usage.exhausted:
        return ""
    return _("Too many wrong codes from your network. Try again in %(minutes)s minutes.") % {
        "minutes": minutes(usage.retry_after)}


def count_failure(request: HttpRequest) -> None:
    RateLimit.per_address(FAILURES).hit(request)
