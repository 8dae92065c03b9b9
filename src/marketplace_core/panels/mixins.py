"""Role separation and the panel layout, as mixins.

Every panel view uses one of these as its first base class:

- :class:`CustomerPanelMixin`: any logged-in user (sellers buy too); the
  sidebar shows ``nav.customer``.
- :class:`SellerPanelMixin`: sellers only; anonymous users are sent to log in,
  everyone else gets 403. The sidebar shows ``nav.seller``.

Objects are always looked up through their owner (``seller_id`` or
``buyer_id`` equals the current user in the queryset), so another user's id
is a 404, never a 403 that would confirm it exists: see
:class:`SellerOwnedMixin`.

A plugin adds a page to both panels the way core's order history does: a
generic view whose template extends ``marketplace_core/panels/base_panel.html``,
then ``class CustomerThingView(CustomerPanelMixin, GenericThingView)`` and
``class SellerThingView(SellerPanelMixin, GenericThingView)``, their URLs from
``register_urlpatterns`` and their links from ``nav_items`` for the areas
``"customer"`` and ``"seller"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic.base import ContextMixin

from marketplace_core.accounts.mixins import SellerRequiredMixin

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest

PanelArea = Literal["customer", "seller"]


class PanelMixin(ContextMixin):
    """Puts ``panel_area`` and ``panel_nav_key`` into the template context
    (also for a plain ``View``: it is a ``ContextMixin``).

    ``panel_area`` picks the sidebar of ``base_panel.html``; ``panel_nav_key``
    is the ``NavItem.key`` marked as the current page.
    """

    panel_area: PanelArea = "customer"
    panel_nav_key: str = ""
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.setdefault("panel_area", self.panel_area)
        context.setdefault("panel_nav_key", self.panel_nav_key)
        return context


class CustomerPanelMixin(LoginRequiredMixin, PanelMixin):
    """A page of the buyer's panel: log in first; every role may use it."""

    panel_area: PanelArea = "customer"


class SellerPanelMixin(SellerRequiredMixin, PanelMixin):
    """A page of the seller's panel: anonymous → login, non-sellers → 403."""

    panel_area: PanelArea = "seller"


class SellerOwnedMixin(SellerPanelMixin):
    """For single-object seller views: only the seller's own objects exist.

    Set ``model``; ``get_queryset`` filters it by ``seller_id``, so the id of
    another seller's object gives 404.
    """

    model: Any

    def get_queryset(self) -> QuerySet[Any]:
        model: type[Model] = self.model
        return model._default_manager.filter(seller_id=self.request.user.pk)
