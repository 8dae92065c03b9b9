"""Core's URLs, plus the media storage's files served (as the example site does in
DEBUG) and a page showing the gallery partial (the product page is the store's)."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import path
from django.views.static import serve

from marketplace_core.catalog.models import Product
from tests.urls import urlpatterns as core_patterns

GALLERY_PAGE = """{% extends "marketplace_core/base.html" %}
{% block title %}{{ product.title }}{% endblock %}
{% block shop_content %}<article class="product-detail">
  {% include "marketplace_core/catalog/_product_gallery.html" %}
  <h1>{{ product.title }}</h1><p class="price">{{ product.price_display }}</p>
</article>{% endblock %}"""


def gallery_page(request, slug):
    product = get_object_or_404(Product, slug=slug)
    template = engines["django"].from_string(GALLERY_PAGE)
    return HttpResponse(template.render({"product": product}, request))


def media_file(request, path):
    location = settings.STORAGES["marketplace_media"]["OPTIONS"]["location"]
    return serve(request, path, document_root=location)


urlpatterns = [
    path("media/<path:path>", media_file),
    path("gallery-page/<slug:slug>/", gallery_page),
    *core_patterns,
]
