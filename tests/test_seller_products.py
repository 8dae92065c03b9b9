"""The seller's products (seed §5): list, create, update, delete, unpublish.

Saving goes through the catalog service: ``product_saved`` after commit, the
file through the configured storage (checked by its ``validate_upload``), the
earlier files kept as versions (a deleted one removed only once issued links can
have expired). A sold product is never deleted; the seller is offered to
unpublish it instead.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from celery.signals import before_task_publish
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.catalog.tasks import DELETE_FILE_TASK, delete_product_file
from marketplace_core.exceptions import Rejected
from marketplace_core.ownership import services
from marketplace_core.panels.seller_products import UNREADABLE_UPLOAD_MESSAGE
from marketplace_core.storage.backends import (
    LocalStorageBackend,
    StorageBackend,
    download_link_ttl,
    product_storage,
)
from marketplace_core.testing.contracts import csrf_token
from marketplace_core.testing.contracts_storage import attachment_name, buy
from tests.panels_support import data_values, logged_in, refund, sell, text_of
from tests.payments_support import fake_plugins, plugin_module

pytestmark = pytest.mark.django_db

LIST_URL = "/seller/products/"
CREATE_URL = "/seller/products/new/"


def edit_url(product) -> str:
    return f"/seller/products/{product.pk}/edit/"


def delete_url(product) -> str:
    return f"/seller/products/{product.pk}/delete/"


def unpublish_url(product) -> str:
    return f"/seller/products/{product.pk}/unpublish/"


def upload(content: bytes = b"%PDF-1.4 the guide", name: str = "guide.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def form_data(**overrides):
    data = {"title": "Watercolour Basics", "slug": "", "description": "Washes and brushes.",
            "price": "19.99", "currency": "USD", "action": "draft"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def stored_files() -> set[str]:
    """Every product file in the storage (``products/<key>/<name>``)."""
    storage = product_storage()
    folders, _ = storage.listdir("products")
    return {f"products/{folder}/{name}" for folder in folders
            for name in storage.listdir(f"products/{folder}")[1]}


def field_errors(html: str, field: str) -> list[str]:
    block = re.search(rf'data-errors-for="{field}">(.*?)</div>', html, flags=re.S)
    return re.findall(r"<p>(.*?)</p>", block.group(1)) if block else []


@pytest.fixture
def seller(make_seller):
    return make_seller()


@pytest.fixture
def client(seller):
    return logged_in(seller)


@pytest.fixture
def saved_events():
    """``product_saved`` as a plugin receives it: ``(title, created)`` per delivery."""
    events: list[tuple[str, bool]] = []

    def product_saved(product, created):
        events.append((product.title, created))

    with fake_plugins(plugin_module("fake_saved", product_saved=product_saved)):
        yield events


# ---------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------


@pytest.mark.by_database
def test_list_shows_own_products_with_status_and_search(client, seller, make_product):
    make_product(seller=seller, title="Watercolour Basics")
    make_product(seller=seller, title="Oil Draft", status=Product.Status.DRAFT)
    make_product(title="Someone Else's Watercolours")

    html = client.get(LIST_URL).content.decode()
    found = client.get(LIST_URL, {"q": "watercolour"}).content.decode()

    assert "Watercolour Basics" in html and "Oil Draft" in html
    assert "Someone Else" not in html
    assert len(data_values(html, "product")) == 2
    assert "Draft" in text_of(html)
    assert len(data_values(found, "product")) == 1 and "Watercolour Basics" in found
    nothing = client.get(LIST_URL, {"q": "sculpture"}).content.decode()
    assert "No products match “sculpture”." in nothing


def test_list_marks_files_changed_in_the_last_three_days(client, seller, make_product):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=10), tick=False):
        stale = make_product(seller=seller, title="Stale")
        fresh = make_product(seller=seller, title="Fresh")
        untouched = make_product(seller=seller, title="Untouched")
    for product, age in ((stale, 4), (fresh, 2)):
        with time_machine.travel(now - dt.timedelta(days=age), tick=False):
            product.set_file(ContentFile(b"version 2", name="guide.pdf"),
                             original_name="guide.pdf")
            product.save()
    new_draft = make_product(seller=seller, title="New Draft", status=Product.Status.DRAFT)

    html = client.get(LIST_URL).content.decode()

    rows = dict(re.findall(r'<tr data-product="([^"]+)">(.*?)</tr>', html, flags=re.S))
    assert "badge-updated" in rows[fresh.slug]
    assert "badge-updated" not in rows[stale.slug]
    assert "badge-updated" not in rows[untouched.slug]
    # A draft's first upload, never seen by a buyer, is not an update.
    assert new_draft.file_updated_at is not None
    assert "badge-updated" not in rows[new_draft.slug]


def test_the_first_upload_is_not_an_update(client, seller):
    client.post(CREATE_URL, {**form_data(title="Brand New", action="publish"),
                             "file": upload()})
    product = Product.objects.get()

    assert product.published_at is not None and product.file_updated_at is not None
    row = client.get(LIST_URL).content.decode().split(f'data-product="{product.slug}"')[1]
    assert "badge-updated" not in row.split("</tr>")[0]

    client.post(edit_url(product), {**form_data(title="Brand New", slug=product.slug,
                                                action="publish"),
                                    "file": upload(content=b"version 2")})
    row = client.get(LIST_URL).content.decode().split(f'data-product="{product.slug}"')[1]
    assert "badge-updated" in row.split("</tr>")[0]


@pytest.mark.by_database
def test_list_is_paginated_and_keeps_the_search(client, seller, make_product):
    for i in range(23):
        make_product(seller=seller, title=f"Brush {i}")

    first = client.get(LIST_URL, {"q": "brush"}).content.decode()
    second = client.get(LIST_URL, {"q": "brush", "page": 2}).content.decode()

    assert len(data_values(first, "product")) == 20
    assert len(data_values(second, "product")) == 3
    assert 'href="?q=brush&amp;page=2"' in first


@pytest.mark.by_database
@pytest.mark.parametrize("count", [1, 25])
def test_list_query_count_does_not_grow(count, client, seller, make_product, make_category,
                                        make_user, django_assert_num_queries):
    category = make_category(seller=seller)
    for i in range(count):
        product = make_product(seller=seller, title=f"Item {i}")
        product.categories.add(category)
        sell(make_user(), product)

    # session, user with the person's seller/verified rows, count, products with buyer
    # counts, their categories
    with django_assert_num_queries(5):
        response = client.get(LIST_URL)

    assert len(data_values(response.content.decode(), "product")) == min(count, 20)


# ---------------------------------------------------------------------------
# create and update
# ---------------------------------------------------------------------------


def test_save_as_draft_without_a_file(client, seller, saved_events,
                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, form_data(), follow=True)

    product = Product.objects.get()
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert "“Watercolour Basics” is saved as a draft." in response.content.decode()
    assert (product.seller, product.status, product.slug) == (
        seller, Product.Status.DRAFT, "watercolour-basics")
    assert product.price == 1999
    assert saved_events == [("Watercolour Basics", True)]


def test_publish_needs_a_file(client):
    response = client.post(CREATE_URL, form_data(action="publish"))

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "file") == [
        "Upload the file buyers will download before publishing."
    ]
    assert not Product.objects.exists()


@pytest.mark.smoke
def test_publish_with_a_file_puts_it_in_the_shop(client, seller, make_category,
                                                 saved_events,
                                                 django_capture_on_commit_callbacks):
    category = make_category(seller=seller, name="Painting")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, {
            **form_data(action="publish", categories=[category.pk]),
            "file": upload(name="../My Guide (final).pdf"),
        })

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.status == Product.Status.PUBLISHED and product.published_at is not None
    assert product.file_name == "My Guide (final).pdf"  # what the buyer's browser saves
    assert product.file.name.endswith("/My_Guide_final.pdf")
    with product_storage().open(product.file.name) as handle:
        assert handle.read() == b"%PDF-1.4 the guide"
    assert list(product.categories.all()) == [category]
    assert saved_events == [("Watercolour Basics", True)]
    assert "Watercolour Basics" in logged_in(seller).get("/products/").content.decode()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"price": "19.999"}, "price", "USD prices have at most 2 decimal places."),
    ({"price": "1.5", "currency": "JPY"}, "price", "JPY prices have at most 0 decimal places."),
    ({"price": "-1"}, "price", "Ensure this value is greater than or equal to 0."),
    ({"currency": "U$D"}, "currency",
     "“U$D” is not the ISO 4217 code of a currency in use, such as USD or EUR."),
    # Three letters, but no currency: made up, ISO's test and "no currency" codes, withdrawn.
    *[({"currency": code}, "currency",
       f"“{code.upper()}” is not the ISO 4217 code of a currency in use, such as USD or EUR.")
      for code in ("XXQ", "xxq", "XTS", "XXX", "DEM")],
    ({"title": ""}, "title", "This field is required."),
    ({"slug": "not a slug!"}, "slug",
     "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
])
def test_invalid_input_is_shown_next_to_its_field(client, overrides, field, message):
    response = client.post(CREATE_URL, form_data(**overrides))

    assert response.status_code == 200
    assert field_errors(response.content.decode(), field) == [message]
    assert not Product.objects.exists()


@pytest.mark.parametrize(("price", "currency", "minor", "shown"), [
    ("19.99", "usd", 1999, "$19.99"),
    ("1500", "JPY", 1500, "¥1,500"),     # no minor unit
    ("1.250", "KWD", 1250, "KWD1.250"),  # fils: thousandths
])
def test_prices_are_stored_in_the_currencys_minor_unit(client, price, currency, minor, shown):
    response = client.post(CREATE_URL, form_data(price=price, currency=currency))

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.price, product.currency) == (minor, currency.upper())
    assert shown in client.get("/seller/products/").content.decode()


@pytest.mark.by_database
def test_an_address_in_use_is_refused_and_an_empty_one_is_made_unique(
    client, make_product
):
    make_product(title="Taken", slug="watercolour-basics")

    refused = client.post(CREATE_URL, form_data(slug="watercolour-basics"))
    made = client.post(CREATE_URL, form_data())

    assert field_errors(refused.content.decode(), "slug") == [
        "Another product already uses this address; choose another one."
    ]
    assert made.status_code == 302
    assert Product.objects.filter(title="Watercolour Basics").get().slug == "watercolour-basics-2"


def test_categories_are_limited_to_the_sellers_own(client, seller, make_category):
    mine = make_category(seller=seller, name="Mine")
    theirs = make_category(name="Theirs")

    page = client.get(CREATE_URL).content.decode()
    response = client.post(CREATE_URL, form_data(categories=[theirs.pk]))

    assert "Mine" in page and "Theirs" not in page
    assert field_errors(response.content.decode(), "categories") == [
        f"Select a valid choice. {theirs.pk} is not one of the available choices."
    ]
    assert mine.products.count() == 0 and not Product.objects.exists()


def test_an_empty_file_is_refused(client):
    response = client.post(CREATE_URL, {**form_data(action="publish"),
                                        "file": upload(content=b"", name="empty.pdf")})

    # Django's own FileField check answers first for a 0-byte upload.
    assert field_errors(response.content.decode(), "file") == ["The submitted file is empty."]
    assert not Product.objects.exists()


def test_update_changes_fields_and_republishes(client, seller, make_product, saved_events,
                                               django_capture_on_commit_callbacks):
    product = make_product(seller=seller, title="Old Title", status=Product.Status.DRAFT)

    page = client.get(edit_url(product)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(product), form_data(
            title="New Title", slug=product.slug, price="25", currency="eur", action="publish"))

    assert 'value="19.99"' in page
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.title, product.price, product.currency, product.status) == (
        "New Title", 2500, "EUR", Product.Status.PUBLISHED)
    assert saved_events == [("New Title", False)]


def test_saving_again_as_draft_takes_it_out_of_the_shop(client, seller, make_product):
    product = make_product(seller=seller, title="Going Back")

    # "Save as draft" of a published product asks first: nothing is saved yet.
    asked = client.post(edit_url(product), form_data(title="Going Back, renamed",
                                                     slug=product.slug))
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Unpublish “Going Back”?" in text_of(page)
    assert '<input type="hidden" name="confirm_unpublish" value="1">' in page
    assert 'value="Going Back, renamed"' in page  # the seller's input is kept
    product.refresh_from_db()
    assert (product.status, product.title) == (Product.Status.PUBLISHED, "Going Back")

    client.post(edit_url(product), form_data(title="Going Back", slug=product.slug,
                                             confirm_unpublish="1"))

    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert "Going Back" not in logged_in(seller).get("/products/").content.decode()


@pytest.fixture
def published_tasks():
    """Publish Celery tasks to the in-memory broker instead of running them;
    yields the ``(task name, args, eta)`` of each published message."""
    published: list[tuple[str, list, str | None]] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        published.append((headers["task"], list(body[0]), headers.get("eta")))

    before_task_publish.connect(record)
    # Through Django's setting: before Celery 5.7, app.conf.task_always_eager = False
    # does not override CELERY_TASK_ALWAYS_EAGER read from the settings.
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield published
    finally:
        before_task_publish.disconnect(record)


@pytest.mark.by_database
def test_a_new_file_keeps_the_old_one_as_a_version_deleted_only_after_links_expire(
    client, seller, make_product, make_user, published_tasks,
    django_capture_on_commit_callbacks,
):
    product = make_product(seller=seller, title="Versioned", content=b"version 1")
    buyer = make_user()
    sell(buyer, product)
    old_name = product.file.name

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(product), {
            **form_data(title="Versioned", slug=product.slug, action="publish"),
            "file": upload(content=b"version 2", name="guide-v2.pdf"),
            "version_label": "2.0", "release_notes": "Fixed **typos**.",
        })

    product.refresh_from_db()
    assert product.file.name != old_name and product.file_updated_at >= before
    with product_storage().open(product.file.name) as handle:
        assert handle.read() == b"version 2"
    # The old file is kept as version 1, and nothing is queued for deletion.
    assert product_storage().exists(old_name)
    assert published_tasks == []
    versions = list(product.file_versions.all())
    assert [(v.label, v.file.name, v.release_notes) for v in versions] == [
        ("2.0", product.file.name, "Fixed **typos**."), ("1", old_name, "")]
    page = client.get(edit_url(product)).content.decode()
    assert 'data-version="2.0"' in page and 'data-version="1"' in page

    # Deleting version 1 deletes its file once links issued for it can have expired.
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/seller/products/{product.pk}/versions/{versions[1].pk}/delete/")
    assert response.status_code == 302
    assert [v.label for v in product.file_versions.all()] == ["2.0"]
    [(task, args, eta)] = published_tasks
    assert (task, args) == (DELETE_FILE_TASK, [old_name])
    delay = dt.datetime.fromisoformat(eta) - before
    assert dt.timedelta(seconds=download_link_ttl() - 5) <= delay
    assert delay <= dt.timedelta(seconds=download_link_ttl() + 60)
    # ... and the worker deletes it when the countdown is over.
    assert delete_product_file(old_name) is True
    assert not product_storage().exists(old_name)
    # The buyer downloads the new version.
    download = logged_in(buyer).get(f"/products/{product.slug}/download/")
    assert download.status_code == 302


def test_the_deletion_task_keeps_a_file_a_product_still_uses(seller, make_product):
    product = make_product(seller=seller)

    assert delete_product_file(product.file.name) is False
    assert product_storage().exists(product.file.name)


# ---------------------------------------------------------------------------
# delete and unpublish
# ---------------------------------------------------------------------------


@pytest.mark.by_database
def test_deleting_an_unsold_product_removes_it_and_its_file(
    client, seller, make_product, django_capture_on_commit_callbacks
):
    product = make_product(seller=seller, title="Never Sold")
    name = product.file.name

    page = client.get(delete_url(product)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(product), follow=True)

    assert "Delete product" in page
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert "“Never Sold” is deleted." in response.content.decode()
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not product_storage().exists(name)


@pytest.mark.by_database
def test_a_sold_product_is_not_deleted_and_unpublishing_is_offered(
    client, seller, make_product, make_user
):
    product = make_product(seller=seller, title="Best Seller")
    buyer = make_user()
    sell(buyer, product)

    page = client.get(delete_url(product)).content.decode()
    refused = client.post(delete_url(product))

    for html in (page, refused.content.decode()):
        assert 'data-refusal="sold"' in html
        assert "“Best Seller” has been sold (1 buyer)." in text_of(html)
        assert "Unpublish instead" in html
        assert "Delete product" not in html
    assert refused.status_code == 409
    assert Product.objects.filter(pk=product.pk).exists()

    response = client.post(unpublish_url(product), follow=True)

    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert "is unpublished" in response.content.decode()
    assert client.get(product.get_absolute_url()).status_code == 200  # the seller's preview
    assert logged_in(make_user()).get(product.get_absolute_url()).status_code == 404
    buyer_client = logged_in(buyer)
    assert product.slug in data_values(buyer_client.get("/account/products/").content.decode(),
                                       "product")
    assert buyer_client.get(f"/products/{product.slug}/download/").status_code == 302


def test_a_refunded_sale_still_blocks_deletion(client, seller, make_product, make_user):
    product = make_product(seller=seller, title="Refunded Once")
    refund(sell(make_user(), product))

    response = client.post(delete_url(product))

    assert response.status_code == 409
    assert Product.objects.filter(pk=product.pk).exists()


@pytest.mark.by_database
def test_a_product_with_orders_is_kept_for_accounting(client, seller, make_product, make_user):
    product = make_product(seller=seller, title="Abandoned Checkout")
    services.start_checkout(buyer=make_user(), product=product, provider="dummy")

    response = client.post(delete_url(product))

    assert response.status_code == 409
    assert 'data-refusal="has_orders"' in response.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()


def test_a_plugin_can_veto_a_deletion(client, seller, make_product):
    product = make_product(seller=seller, title="Synced Elsewhere")

    def validate_product_delete(product, actor):
        assert actor == seller
        raise Rejected("The product is still listed at the payment provider.")

    with fake_plugins(plugin_module("fake_veto", validate_product_delete=validate_product_delete)):
        page = client.get(delete_url(product)).content.decode()
        response = client.post(delete_url(product))

    # The confirmation page explains the veto up front instead of offering Delete.
    assert "The product is still listed at the payment provider." in page
    assert "Delete product</button>" not in page
    assert response.status_code == 409
    assert "The product is still listed at the payment provider." in response.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()


def test_unpublishing_emits_product_saved(client, seller, make_product, saved_events,
                                          django_capture_on_commit_callbacks):
    product = make_product(seller=seller, title="Quiet")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(unpublish_url(product))

    assert saved_events == [("Quiet", False)]


# ---------------------------------------------------------------------------
# upload validation through the configured storage backend
# ---------------------------------------------------------------------------


class PickyBackend(LocalStorageBackend):
    """Local files, but only PDFs up to 1 KiB (as the S3 backend's settings can say)."""

    identifier = "picky"
    verbose_name = "Picky local files"

    def validate_upload(self, uploaded):
        name = super().validate_upload(uploaded)
        if not name.lower().endswith(".pdf"):
            raise ValidationError("Files of this type are not accepted. Allowed: .pdf.",
                                  code="file_extension")
        if uploaded.size > 1024:
            raise ValidationError("The file is too large.", code="file_too_large")
        return name


@pytest.fixture
def picky_storage(settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "STORAGE_BACKEND": "picky"}
    with fake_plugins(plugin_module("fake_picky",
                                    register_storage_backends=lambda: [PickyBackend])):
        yield


@pytest.mark.parametrize(("name", "content", "message"), [
    ("tool.exe", b"MZ", "Files of this type are not accepted. Allowed: .pdf."),
    ("big.pdf", b"x" * 2048, "The file is too large."),
])
def test_the_storage_backend_checks_uploads(client, picky_storage, name, content, message):
    response = client.post(CREATE_URL, {**form_data(action="publish"),
                                        "file": upload(content=content, name=name)})

    assert field_errors(response.content.decode(), "file") == [message]
    assert not Product.objects.exists()


def test_an_accepted_upload_is_stored_by_the_configured_backend(client, picky_storage):
    response = client.post(CREATE_URL, {**form_data(action="publish"),
                                        "file": upload(name="ok.pdf")})

    assert response.status_code == 302
    assert Product.objects.get().file_name == "ok.pdf"


@pytest.mark.parametrize(("sent", "stored"), [
    ("My Guide.pdf", "My_Guide.pdf"),
    ("C:\\Users\\me\\notes.txt", "notes.txt"),
    ("../../etc/passwd", "passwd"),
    ("..hidden", "hidden"),
    ("<script>.js", "script.js"),
    ("...", "file"),
    ("Übersicht.pdf", "Übersicht.pdf"),
    ("U\u0308bersicht.pdf", "Übersicht.pdf"),  # decomposed umlaut, composed
    ("😀.zip", "file.zip"),
    ("é" * 130 + ".pdf", "é" * 125 + ".pdf"),  # 264 bytes cut to 254
])
def test_core_sanitizes_upload_names(sent, stored):
    assert StorageBackend().validate_upload(ContentFile(b"data", name=sent)) == stored


def stored_name(product: Product) -> str:
    """The last part of the product's storage key."""
    return product.file.name.rsplit("/", 1)[1]


def test_a_long_non_ascii_name_is_shortened_to_fit_the_store(client):
    """130 times "é" is 134 characters but 264 bytes, over the 255 bytes a file
    system (and SeaweedFS) allows a name: once a 500."""
    sent = "é" * 130 + ".pdf"

    response = client.post(CREATE_URL, {**form_data(action="publish"),
                                        "file": upload(name=sent)})

    assert response.status_code == 302
    product = Product.objects.get()
    assert stored_name(product) == "é" * 125 + ".pdf"
    assert product.file_name == sent  # what the buyer's browser saves it as
    with product.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 the guide"


def test_a_name_of_emoji_only_keeps_its_extension_and_the_buyer_gets_the_original(
    client, make_user, settings
):
    settings.DEBUG = True  # local downloads
    client.post(CREATE_URL, {**form_data(action="publish"), "file": upload(name="😀.zip")})
    product = Product.objects.get()
    buyer = make_user()
    buy(buyer, product)

    link = logged_in(buyer).get(f"/products/{product.slug}/download/")["Location"]
    download = Client().get(link)

    assert stored_name(product) == "file.zip"  # was "zip"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 the guide"
    assert attachment_name(download["Content-Disposition"]) == "😀.zip"


def sellers_client(seller) -> Client:
    """A browser's session: unlike the test client's default, CSRF is checked."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    return client


@pytest.mark.parametrize("page", ["create", "edit"])
def test_a_name_too_long_for_django_to_read_is_a_form_error(seller, make_product, page):
    """Django refuses a multipart part whose headers pass 1 KiB, so a name of
    1,000 characters makes the whole body unreadable: once a bare 400 from the
    CSRF middleware. Now the form comes back with the reason, nothing saved."""
    product = make_product(seller=seller, file_name="current.pdf")
    before = (product.file.name, product.file_name, product.updated_at)
    files_before = stored_files()
    url = CREATE_URL if page == "create" else edit_url(product)
    client = sellers_client(seller)
    token = csrf_token(client.get(url).content.decode())

    response = client.post(url, {**form_data(action="publish", title="Renamed"),
                                 "csrfmiddlewaretoken": token,
                                 "file": ContentFile(b"data", name="q" * 1000 + ".pdf")})

    assert response.status_code == 400
    page_html = response.content.decode()
    assert [unescape(e) for e in field_errors(page_html, "file")] == [
        UNREADABLE_UPLOAD_MESSAGE]
    assert 'class="form product-form"' in page_html and "<nav" in page_html  # the site's page
    assert Product.objects.count() == 1
    product.refresh_from_db()
    assert (product.file.name, product.file_name, product.updated_at) == before
    # (Other xdist workers share the storage root: look for this upload only.)
    assert not [name for name in stored_files() - files_before if "/qqqqqqqq" in name]


def test_the_product_form_still_checks_csrf(seller):
    client = sellers_client(seller)

    refused = client.post(CREATE_URL, {**form_data(action="publish"), "file": upload()})

    assert refused.status_code == 403
    assert not Product.objects.exists()
    token = csrf_token(client.get(CREATE_URL).content.decode())
    accepted = client.post(CREATE_URL, {**form_data(action="publish"),
                                        "csrfmiddlewaretoken": token, "file": upload()})
    assert accepted.status_code == 302
    assert Product.objects.get().file_name == "guide.pdf"


def test_core_refuses_empty_uploads():
    with pytest.raises(ValidationError) as info:
        StorageBackend().validate_upload(ContentFile(b"", name="empty.pdf"))
    assert info.value.code == "file_empty"


# ---------------------------------------------------------------------------
# the service's own guarantees (what a form cannot promise)
# ---------------------------------------------------------------------------


def test_the_service_refuses_another_sellers_product_and_categories(
    seller, make_seller, make_product, make_category
):
    from marketplace_core.catalog import services as catalog_services

    theirs = make_product(title="Theirs")
    with pytest.raises(Rejected) as info:
        catalog_services.save_product(theirs, seller=seller, publish=False)
    assert info.value.code == "not_owner"

    mine = make_product(seller=seller)
    with pytest.raises(Rejected) as info:
        catalog_services.save_product(mine, seller=seller, publish=True,
                                      categories=[make_category(seller=make_seller())])
    assert info.value.code == "foreign_category"
    with pytest.raises(Rejected) as info:
        catalog_services.delete_product(theirs, actor=seller)
    assert info.value.code == "not_owner"


@pytest.mark.by_database
def test_a_failed_save_leaves_no_file_behind(seller, make_product):
    from marketplace_core.catalog import services as catalog_services

    make_product(slug="clash")
    product = Product(title="Clash", slug="clash", price=100, currency="USD")
    stored_before = stored_files()

    with pytest.raises(Rejected) as info:
        catalog_services.save_product(product, seller=seller, publish=True,
                                      upload=ContentFile(b"data", name="clash.pdf"))

    assert info.value.code == "slug_taken"
    assert product.pk is None
    assert stored_files() == stored_before
