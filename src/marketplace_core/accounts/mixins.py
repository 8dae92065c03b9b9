"""Role separation for views: log in first, then the role decides (403 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase


class SellerRequiredMixin(LoginRequiredMixin):
    """Anonymous users go to login; logged-in non-sellers get 403."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not request.user.is_seller:
            raise PermissionDenied("Only sellers can use this page.")
        return super().dispatch(request, *args, **kwargs)
