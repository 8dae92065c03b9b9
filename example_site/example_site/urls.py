from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("marketplace_core.urls")),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

# 400 and 500 in the site's look with its name (Django renders them without context).
handler400 = "marketplace_core.error_pages.bad_request"
handler500 = "marketplace_core.error_pages.server_error"
