"""tests.error_urls with core's handler400 and handler500 (test_error_pages.py)."""

from tests.error_urls import urlpatterns

__all__ = ["urlpatterns"]

handler400 = "marketplace_core.error_pages.bad_request"
handler500 = "marketplace_core.error_pages.server_error"
