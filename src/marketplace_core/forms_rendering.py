"""One look for every form of the shop: core's form renderer and the form bases that use it.

:class:`MarketplaceFormRenderer` renders ``{{ form }}`` with
``marketplace_core/forms/form.html`` (the non-field errors once, then each field)
and ``{{ field.as_field_group }}`` with ``marketplace_core/forms/field.html``
(label, widget, help text, the field's errors once). Core's and the plugins'
forms get it through :class:`MarketplaceFormMixin` (``default_renderer``), so it
works in a project whatever its ``FORM_RENDERER`` setting; a project that wants
the same look for its own forms sets ``FORM_RENDERER`` to this class.

Templates are looked up in the project's template engines first (a project
overrides ``marketplace_core/forms/field.html`` or a widget template in its own
templates directory), then in Django's form templates and the apps' templates,
as Django's default renderer does, so a project needs neither ``django.forms``
in ``INSTALLED_APPS`` nor a particular ``TEMPLATES`` setting.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.functional import Promise

#: Text, translated now or lazily.
StrOrPromise = str | Promise


class MarketplaceFormRenderer(BaseRenderer):
    """Core's form and field templates; templates from the project first, then Django's."""

    form_template_name = "marketplace_core/forms/form.html"
    field_template_name = "marketplace_core/forms/field.html"

    #: Django's default renderer: its engine knows django/forms/templates and the apps' templates.
    _fallback: ClassVar[DjangoTemplates] = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return get_template(template_name)
        except TemplateDoesNotExist:
            return self._fallback.get_template(template_name)


class MarketplaceFormMixin:
    """Renders the form with :class:`MarketplaceFormRenderer` unless a renderer is passed.

    Put it first among the bases of a form built on another form class
    (``class LoginForm(MarketplaceFormMixin, AuthenticationForm)``).
    """

    default_renderer: BaseRenderer | type[BaseRenderer] | None = MarketplaceFormRenderer


class MarketplaceForm(MarketplaceFormMixin, forms.Form):
    """A ``forms.Form`` with the shop's look."""


class MarketplaceModelForm(MarketplaceFormMixin, forms.ModelForm):
    """A ``forms.ModelForm`` with the shop's look."""


def say_when_empty(field: forms.Field, text: StrOrPromise) -> None:
    """What a choice group (checkboxes, radio buttons) shows when it has no choices,
    instead of "Nothing to choose from." (``text`` may be safe HTML, a link to create one)."""
    field.empty_choices_text = text  # type: ignore[attr-defined]  # read by field.html
