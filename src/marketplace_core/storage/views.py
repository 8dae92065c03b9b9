"""Downloads: ownership-checked redirect, and the local development file server."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views import View

from marketplace_core.conf import conf
from marketplace_core.ownership.models import PurchasedProduct
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.storage.backends import product_storage, read_download_token
from marketplace_core.storage.logging import log_download

logger = logging.getLogger("marketplace_core.storage")


class ProductDownloadView(LoginRequiredMixin, View):
    """``/products/<slug>/download/``: 302 to a short-lived link for an active owner.

    Anyone without active ownership gets 404, so whether a purchase exists
    never leaks. The link comes from the ``resolve_download`` hook (by default
    the configured storage backend) and is never rendered or logged.
    """

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        purchase = (
            PurchasedProduct.objects.active()
            .select_related("product")
            .filter(buyer=request.user, product__slug=slug)
            .first()
        )
        if purchase is None or not purchase.product.file:
            raise Http404("No download available.")
        target = get_plugin_manager().hook.resolve_download(request=request, purchase=purchase)
        if target is None:
            raise Http404("No download available.")
        log_download(request, purchase)
        response = HttpResponseRedirect(target.url)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


class LocalProductDownloadView(View):
    """Serve a local product file for a valid, unexpired signed token.

    For development: refuses when ``DEBUG`` is off unless
    ``MARKETPLACE["ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG"]`` is set. Re-checks
    that the ownership is still active, and only ever opens the file the token
    names inside the storage root.
    """

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        if not (settings.DEBUG or conf.ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG):
            raise Http404("Local downloads are disabled.")
        try:
            payload: dict[str, Any] = read_download_token(token)
        except signing.SignatureExpired:
            return HttpResponse(
                "This download link has expired.", status=410, content_type="text/plain"
            )
        except signing.BadSignature as exc:
            raise Http404("Invalid download link.") from exc
        purchase = (
            PurchasedProduct.objects.active()
            .select_related("product")
            .filter(pk=payload["p"])
            .first()
        )
        if purchase is None or purchase.product.file.name != payload["f"]:
            raise Http404("No download available.")
        storage = product_storage()
        try:
            handle = storage.open(payload["f"], "rb")
        except (SuspiciousFileOperation, FileNotFoundError) as exc:
            raise Http404("No download available.") from exc
        response = FileResponse(
            handle, as_attachment=True, filename=purchase.product.file_name or None
        )
        response["Cache-Control"] = "private, no-store"
        return response
