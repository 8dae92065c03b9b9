from django.urls import include, path

urlpatterns = [path("", include("marketplace_core.urls"))]
