"""The seller's discount code form: clear field errors for every rule of a code.

The form validates; :func:`marketplace_core.discounts.services.save_code` saves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from marketplace_core.catalog.models import Product
from marketplace_core.currency_widgets import CurrencySelect
from marketplace_core.discounts.models import DiscountCode, normalize_code
from marketplace_core.forms_rendering import MarketplaceModelForm, say_when_empty
from marketplace_core.money import exponent, to_decimal, validate_currency

if TYPE_CHECKING:
    from marketplace_core.people.types import User

#: Largest amount off in minor units (``DiscountCode.amount`` is a positive 32-bit integer).
MAX_AMOUNT = 2_147_483_647

_CODE_CHARACTERS = RegexValidator(
    r"^[A-Za-z0-9_-]+$", _("Use letters, digits, hyphens and underscores only."),
    code="code_characters")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class DiscountCodeForm(MarketplaceModelForm):
    """Code, type and value, products, dates, limits and the active flag.

    ``seller`` limits the product choices to the seller's own. A fixed amount
    is typed in the currency's main unit (``5.00``) and stored in minor units;
    it applies only to products priced in its currency, so choosing a product
    in another currency is an error.
    """

    amount_off = forms.DecimalField(
        label=_("Amount off"), required=False, min_value=Decimal("0"), max_digits=14,
        decimal_places=3, help_text=_("For a fixed amount: in the currency's main unit, "
                                      "for example 5.00."),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"), queryset=Product.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose none for all of your products."),
    )

    field_order = ["code", "kind", "percent", "amount_off", "currency", "products",
                   "starts_at", "ends_at", "usage_limit", "once_per_buyer", "is_active"]

    class Meta:
        model = DiscountCode
        fields = ["code", "kind", "percent", "currency", "products", "starts_at", "ends_at",
                  "usage_limit", "once_per_buyer", "is_active"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput(),
                   "kind": forms.RadioSelect, "currency": CurrencySelect(blank="—")}
        help_texts = {
            "code": _("What buyers type at checkout; letter case does not matter."),
            "percent": _("For a percentage: 1 to 100. A code that makes a price zero "
                         "cannot be used at checkout."),
            "currency": _("For a fixed amount: the currency of the amount."),
            "starts_at": _("Optional; in the site's time zone."),
            "ends_at": _("Optional; the code stops working at this time."),
            "usage_limit": _("Optional: how many orders may use it in all."),
            "once_per_buyer": _("Each buyer may use it once."),
        }

    def __init__(self, *args: Any, seller: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seller = seller
        if self.instance.pk is None:
            self.instance.seller = seller
        self.fields["code"].validators.append(_CODE_CHARACTERS)
        self.fields["currency"].required = False
        products = self.fields["products"]
        assert isinstance(products, forms.ModelMultipleChoiceField)
        products.queryset = Product.objects.filter(seller_id=seller.pk).order_by("title", "id")
        say_when_empty(products, _("You have no products yet."))
        if self.instance.pk is not None and self.instance.amount is not None:
            self.initial["amount_off"] = to_decimal(self.instance.amount, self.instance.currency)

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data.get("code") or "")
        taken = DiscountCode.objects.filter(seller_id=self.seller.pk, code=code)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if code and taken.exists():
            raise forms.ValidationError(_("You already have this code."), code="code_taken")
        return code

    def clean_currency(self) -> str:
        code = (self.cleaned_data.get("currency") or "").strip().upper()
        if code:
            validate_currency(code)
        return code

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The other type's value is cleared, so the model's constraint sees one value.
        if cleaned.get("kind") == DiscountCode.Kind.FIXED:
            cleaned["percent"] = None
            self._clean_fixed(cleaned)
        elif cleaned.get("kind") == DiscountCode.Kind.PERCENTAGE:
            cleaned["currency"] = ""
            self.instance.amount = None
            percent = cleaned.get("percent")
            if percent is None and "percent" not in self.errors:
                self.add_error("percent", forms.ValidationError(
                    _("Enter the percent off."), code="percent_required"))
            elif percent is not None and not 1 <= percent <= 100:
                self.add_error("percent", forms.ValidationError(
                    _("Enter a percentage from 1 to 100."), code="percent_range"))
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", forms.ValidationError(
                _("The end must come after the start."), code="ends_before_start"))
        if cleaned.get("usage_limit") == 0:
            self.add_error("usage_limit", forms.ValidationError(
                _("Allow at least one use, or leave it empty for no limit."),
                code="usage_limit_zero"))
        return cleaned

    def _clean_fixed(self, cleaned: dict[str, Any]) -> None:
        currency, amount = cleaned.get("currency"), cleaned.get("amount_off")
        if not currency and "currency" not in self.errors:
            self.add_error("currency", forms.ValidationError(
                _("A fixed amount needs its currency."), code="currency_required"))
        if amount is None or amount <= 0:
            if "amount_off" not in self.errors:
                self.add_error("amount_off", forms.ValidationError(
                    _("Enter the amount off."), code="amount_required"))
            return
        if not currency:
            return
        minor = amount.scaleb(exponent(currency))
        if minor != minor.to_integral_value():
            self.add_error("amount_off", forms.ValidationError(
                _("%(currency)s amounts have at most %(places)s decimal places."),
                code="amount_precision",
                params={"currency": currency, "places": exponent(currency)}))
        elif minor > MAX_AMOUNT:
            self.add_error("amount_off", forms.ValidationError(
                _("This amount is too high."), code="amount_too_high"))
        else:
            self.instance.amount = int(minor)
        other = [p.title for p in cleaned.get("products") or [] if p.currency != currency]
        if other:
            self.add_error("products", forms.ValidationError(
                _("A code in %(currency)s does not apply to products priced in another "
                  "currency: %(titles)s."), code="product_currency",
                params={"currency": currency, "titles": ", ".join(other)}))
