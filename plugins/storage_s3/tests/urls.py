from django.urls import include, path

from .seller_form import upload_product_file

urlpatterns = [
    path("test-seller/products/<slug:slug>/file/", upload_product_file),
    path("", include("marketplace_core.urls")),
]
