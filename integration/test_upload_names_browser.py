"""File names that once broke a seller's upload, sent by a real browser
(Chromium encodes the multipart body; the CSRF middleware is on, as in
production): one too long for Django to read the body at all, and one long
only in UTF-8 bytes."""

from __future__ import annotations

import pytest

from integration.browser_checks import log_in
from marketplace_core.catalog.models import Product
from marketplace_core.panels.seller_products import UNREADABLE_UPLOAD_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4 field notes\n" * 20


def test_names_too_long_for_django_or_the_store_in_a_real_browser(live_server, page,
                                                                   make_seller):
    log_in(page, live_server, make_seller())
    page.goto(f"{live_server.url}/seller/products/new/")
    page.get_by_label("Title").fill("Field Notes")
    page.get_by_label("Price").fill("9.99")

    # 1,000 characters: over Django's 1 KiB limit on a part's headers.
    page.get_by_label("File").set_input_files(files=[
        {"name": "a" * 1000 + ".pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Publish").click()

    assert answered.value.status == 400
    assert page.locator('[data-errors-for="file"]').inner_text() == UNREADABLE_UPLOAD_MESSAGE
    assert page.get_by_role("button", name="Publish").is_visible()  # the form, in the site
    assert not Product.objects.exists()

    # The seller renames it: 264 bytes in UTF-8, over a file system's 255.
    page.get_by_label("Title").fill("Field Notes")
    page.get_by_label("Price").fill("9.99")
    page.get_by_label("File").set_input_files(files=[
        {"name": "é" * 130 + ".pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/seller/products/")

    product = Product.objects.get()
    assert product.file_name == "é" * 130 + ".pdf"
    assert product.file.name.endswith("/" + "é" * 125 + ".pdf")
    # The only console message is Chromium noting the 400 of the refused upload.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
