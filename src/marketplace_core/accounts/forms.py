"""Forms for logging in and registering with an email address."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from marketplace_core.accounts.models import User, UserManager
from marketplace_core.accounts.throttling import LoginThrottle, minutes


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, labelled for email, refusing inactive users clearly and
    throttled per (email, client address) by :class:`LoginThrottle`.

    A throttled attempt is refused before the password is checked, with the same
    message whether or not the account exists.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The email address and password do not match an account."),
        "inactive": _("This account is disabled. Contact support to reopen it."),
        "throttled": _(
            "Too many failed attempts to log in to this account from your network. "
            "Try again in %(minutes)s minutes, or reset your password."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})
        self.throttle: LoginThrottle | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        if self.request is not None:
            self.throttle = LoginThrottle.for_attempt(self.request, username)
            wait = self.throttle.locked_for()
            if wait:
                raise forms.ValidationError(self.error_messages["throttled"], code="throttled",
                                            params={"minutes": minutes(wait)})
        try:
            # ModelBackend refuses inactive users silently; say why instead.
            user = User.objects.filter(email=UserManager.normalize_email(username)).first()
            if user is not None and not user.is_active and user.check_password(password):
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
            return super().clean()
        except forms.ValidationError as error:
            if self.throttle is not None and getattr(error, "code", None) == "invalid_login":
                self.throttle.record_failure()
            raise

    @property
    def was_throttled(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "throttled")


class RegistrationForm(forms.ModelForm):
    """A new customer account: email (stored lowercased, unique regardless of
    case), name and a password that passes ``AUTH_PASSWORD_VALIDATORS``."""

    duplicate_email_message = _("An account with this email address already exists.")

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

    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        email = UserManager.normalize_email(self.cleaned_data.get("email"))
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(self.duplicate_email_message, code="duplicate_email")
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            self.instance.email = cleaned.get("email", "")
            self.instance.name = cleaned.get("name", "")
            try:
                password_validation.validate_password(p1, self.instance)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class ProfileForm(forms.ModelForm):
    """What a user may change about themselves: the name. The email address is
    not a field, so a forged POST cannot change it."""

    class Meta:
        model = User
        fields = ("name",)
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
