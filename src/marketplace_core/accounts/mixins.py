"""Role separation for views: log in first, then the role decides (403 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from marketplace_core.roles import is_seller


class SellerRequiredMixin(LoginRequiredMixin):
    """Anonymous users go to ``LOGIN_URL``; logged-in non-sellers get 403
    (:func:`marketplace_core.roles.is_seller`)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not is_seller(request.user):
            raise PermissionDenied("Only sellers can use this page.")
        return super().dispatch(request, *args, **kwargs)
