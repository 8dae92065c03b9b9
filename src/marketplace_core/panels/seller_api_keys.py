"""The seller's API keys (``/seller/api-keys/``): create, list, revoke.

A new key's secret is shown once, on the page that answers the creation
(never cached), and never again: only its hash is stored. Keys are looked up
through their seller, so another seller's key id is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from marketplace_core.api_keys import services
from marketplace_core.api_keys.forms import ApiKeyForm
from marketplace_core.api_keys.models import ApiKey
from marketplace_core.panels.mixins import SellerPanelMixin

NAV_KEY = "seller-api-keys"
#: Keys listed; revoked ones stay listed so their history remains visible.
MAX_LISTED = 100


def _keys(request: HttpRequest) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(seller_id=request.user.pk)


class SellerApiKeyListView(SellerPanelMixin, View):
    """GET: the form for a new key and the seller's keys. POST: create one and show
    its secret once."""

    template_name = "marketplace_core/seller/api_keys.html"
    panel_nav_key = NAV_KEY

    def _render(self, request: HttpRequest, form: ApiKeyForm, new_token: str = "",
                status: int = 200) -> HttpResponse:
        context = self.get_context_data(
            form=form, keys=list(_keys(request)[:MAX_LISTED]), new_token=new_token,
            api_docs_url=reverse("marketplace-api:openapi-view"),
        )
        response = render(request, self.template_name, context, status=status)
        response["Cache-Control"] = "private, no-store"  # the page may hold a secret
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ApiKeyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        created = services.create_key(request.user,  # type: ignore[arg-type]
                                      name=form.cleaned_data["name"],
                                      scope=form.cleaned_data["scope"])
        return self._render(request, ApiKeyForm(), new_token=created.token, status=201)


class SellerApiKeyRevokeView(SellerPanelMixin, View):
    """GET asks to confirm; POST revokes the key (it stops working at once)."""

    template_name = "marketplace_core/seller/api_key_confirm_revoke.html"
    panel_nav_key = NAV_KEY

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = get_object_or_404(_keys(request), pk=pk)
        return render(request, self.template_name, self.get_context_data(key=key))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = get_object_or_404(_keys(request), pk=pk)
        services.revoke_key(key)
        messages.success(request, f"The key “{key.name}” is revoked: it no longer works.")
        return HttpResponseRedirect(reverse("marketplace:seller_api_keys"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs)
