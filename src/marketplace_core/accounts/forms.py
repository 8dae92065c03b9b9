"""Forms for logging in and registering with an email address, for any user model
whose email field is its login or which has an email field besides a username."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from marketplace_core.accounts.throttling import LoginThrottle, Refusal, minutes
from marketplace_core.forms_rendering import MarketplaceForm, MarketplaceFormMixin
from marketplace_core.people.users import (
    find_by_email,
    is_active,
    normalize_email,
    unsaved_user,
)


class EmailAuthenticationForm(MarketplaceFormMixin, AuthenticationForm):
    """Django's login form, labelled for email, refusing inactive users clearly and
    limited by :class:`LoginThrottle`: per (email, client address) and per address.

    The address is looked up in the user model's email field and the user is
    authenticated with its own login name (``get_username()``), so a
    username-based user model logs in by email too. An address several accounts
    share matches none of them.

    A refused attempt is refused before the password is checked, with the same
    message whether or not the account exists; :attr:`refusal` says for how long.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The email address and password do not match an account."),
        "inactive": _("This account is disabled. Contact support to reopen it."),
        "throttled": _(
            "Too many failed attempts to log in to this account from your network. "
            "Try again in %(minutes)s minutes, or reset your password."
        ),
        "address_throttled": _(
            "Too many failed attempts to log in from your network. "
            "Try again in %(minutes)s minutes."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        # An address, whatever the length of the user model's login field.
        self.fields["username"].max_length = 254  # type: ignore[attr-defined]
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})
        self.throttle: LoginThrottle | None = None
        self.refusal: Refusal | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        if self.request is not None:
            self.throttle = LoginThrottle.for_attempt(self.request, username)
            self.refusal = self.throttle.refusal()
            if self.refusal is not None:
                code = "throttled" if self.refusal.scope == "account" else "address_throttled"
                raise forms.ValidationError(self.error_messages[code], code=code,
                                            params={"minutes": minutes(self.refusal.retry_after)})
        try:
            person = find_by_email(username)
            # ModelBackend refuses inactive users silently; say why instead.
            if person is not None and not is_active(person) and person.check_password(password):
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
            login_name = person.get_username() if person is not None else username
            self.user_cache = authenticate(self.request, username=login_name, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            return self.cleaned_data
        except forms.ValidationError as error:
            if self.throttle is not None and getattr(error, "code", None) == "invalid_login":
                self.throttle.record_failure()
            raise


@dataclass(frozen=True)
class Registration:
    """What a valid registration form asks for (the password still in clear)."""

    email: str
    name: str
    password: str


class RegistrationForm(MarketplaceForm):
    """A new customer account: email (lowercased), name and a password that passes
    ``AUTH_PASSWORD_VALIDATORS``.

    A plain form, not a model form: it never looks for an existing account with
    the address, so its answers are the same either way. The view decides what
    happens (:class:`~.views.RegistrationView`).
    """

    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        # Lazy in Django: follows AUTH_PASSWORD_VALIDATORS at render time.
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data.get("email"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(
                    p1, unsaved_user(cleaned.get("email", ""), cleaned.get("name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def registration(self) -> Registration:
        """The cleaned values of a valid form."""
        data = self.cleaned_data
        return Registration(email=data["email"], name=data["name"], password=data["password1"])


class ProfileForm(MarketplaceForm):
    """What a user may change about themselves: the name shown in the shop
    (:func:`marketplace_core.people.records.set_shop_name`). The email address
    is not a field, so a forged POST cannot change it."""

    name = forms.CharField(
        label=_("Name"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class PasswordResetRequestForm(MarketplaceForm):
    email = forms.EmailField(
        label=_("Email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordChangeForm(MarketplaceFormMixin, auth_forms.PasswordChangeForm):
    """Django's password change form (old password, new one twice), in the shop's look."""


class SetPasswordForm(MarketplaceFormMixin, auth_forms.SetPasswordForm):
    """Django's form choosing a new password from a reset link, in the shop's look."""
