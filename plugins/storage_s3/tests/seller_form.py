"""A stand-in for core's seller product form (not built yet): what it must do
with an uploaded deliverable when the storage backend offers validation.

Core's form would ask the configured backend the same way; see the plugin's
README ("Validating uploads").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from marketplace_core.catalog.models import Product
from marketplace_core.plugins.registry import storage_backend


class ProductFileForm(forms.Form):
    file = forms.FileField()

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        validate = getattr(storage_backend(), "validate_upload", None)
        if validate is not None:
            uploaded.name = validate(uploaded)  # raises ValidationError → form error
        return uploaded


@login_required
@require_POST
def upload_product_file(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    if product.seller_id != request.user.pk:
        raise Http404
    form = ProductFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    uploaded = form.cleaned_data["file"]
    product.set_file(uploaded, original_name=uploaded.name)
    product.save()
    return JsonResponse({"file": product.file.name}, status=201)
