"""Versioned product files, download limits and link lifetimes (issue 18).

A new upload keeps the earlier files as versions with a label and Markdown
release notes; the buyer's download page lists them newest first and each
downloads through the ownership-checked, logged path; a product's download
limit is counted atomically and its link lifetime shortens (or lengthens)
links; the seller sees each purchase's downloads; past buyers may be emailed
about a new version once each, with an unsubscribe link that is honoured.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from marketplace_core.accounts.sent_emails import SentEmail
from marketplace_core.catalog import version_emails
from marketplace_core.catalog.file_versions import VersionDetails, versions_of
from marketplace_core.catalog.models import (
    Product,
    ProductFileVersion,
    VersionEmailOptOut,
)
from marketplace_core.catalog.services import save_product
from marketplace_core.ownership.models import Download, PurchasedProduct
from marketplace_core.safe_markdown import render_markdown
from marketplace_core.testing.factories import buy, logged_in, refund

pytestmark = pytest.mark.django_db

LOCAL_PREFIX = "/downloads/local/"


def new_version(product: Product, content: bytes, *, name: str, label: str = "",
                notes: str = "", notify: bool = False) -> ProductFileVersion:
    """Upload ``content`` as the seller does through the product form."""
    save_product(product, seller=product.seller, publish=True,
                 upload=SimpleUploadedFile(name, content,
                                           content_type="application/octet-stream"),
                 version=VersionDetails(label=label, release_notes=notes),
                 notify_buyers=notify)
    return product.file_versions.order_by("-number").first()  # type: ignore[return-value]


def fetch_body(client: Client, location: str) -> bytes:
    path = urlsplit(location).path
    assert path.startswith(LOCAL_PREFIX), location
    response = client.get(path)
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def downloads_url(product: Product) -> str:
    return f"/account/products/{product.pk}/downloads/"


@pytest.fixture
def debug(settings):
    settings.DEBUG = True  # local downloads are a development feature
    settings.MARKETPLACE = {**settings.MARKETPLACE, "SITE_URL": "https://shop.example"}
    return settings


@pytest.fixture
def three_versions(db, debug, make_seller, make_product, make_user):
    """A product with versions 1.0, 1.1 and 2.0 (newest), and a client of its buyer."""
    seller = make_seller()
    product = make_product(seller=seller, title="Brush Pack", content=None)
    new_version(product, b"one", name="brushes-1.zip", label="1.0", notes="First release.")
    buyer = make_user()
    purchase = buy(buyer, product)
    new_version(product, b"one point one", name="brushes-1.1.zip", label="1.1",
                notes="Adds **two** brushes.")
    new_version(product, b"two", name="brushes-2.zip", label="2.0",
                notes="New <script>alert(1)</script> engine.")
    product.refresh_from_db()
    return product, purchase, logged_in(buyer)


# ---------------------------------------------------------------------------
# versions kept, and the data migration
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploads_keep_earlier_files_as_numbered_versions(make_seller, make_product):
    product = make_product(seller=make_seller(), content=None)
    new_version(product, b"a", name="a.zip")
    new_version(product, b"b", name="b.zip", label=" 2.0-beta ", notes="Beta.")
    new_version(product, b"c", name="c.zip")

    versions = versions_of(product)
    assert [(v.number, v.label, v.file_name, v.file_size) for v in versions] == [
        (3, "3", "c.zip", 1), (2, "2.0-beta", "b.zip", 1), (1, "1", "a.zip", 1)]
    product.refresh_from_db()
    assert (product.file.name, product.file_name) == (versions[0].file.name, "c.zip")
    assert versions[1].content_type == "application/zip"


@pytest.mark.django_db
def test_a_file_from_before_versions_becomes_version_1_on_the_next_upload(
        make_seller, make_product):
    product = make_product(seller=make_seller(), content=b"old", file_name="old.pdf")
    old_name = product.file.name
    assert [(v.pk, v.label, v.file_name) for v in versions_of(product)] == [(None, "1", "old.pdf")]

    new_version(product, b"new", name="new.pdf")

    assert [(v.label, v.file.name, v.file_name) for v in versions_of(product)] == [
        ("2", product.file.name, "new.pdf"), ("1", old_name, "old.pdf")]


MIGRATION = ("marketplace_core", "0016_product_file_versions")


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_each_existing_file_version_1(make_seller, make_product):
    from django.db.migrations.executor import MigrationExecutor

    seller = make_seller()
    with_file = make_product(seller=seller, content=b"x", file_name="Guide (final).pdf")
    without = make_product(seller=seller, content=None)
    executor = MigrationExecutor(connection)
    (before,) = [parent.key for parent in executor.loader.graph.node_map[MIGRATION].parents
                 if parent.key[0] == "marketplace_core"]
    try:
        executor.migrate([before])  # a database from before versions
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([MIGRATION])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = list(ProductFileVersion.objects.values_list(
        "product_id", "number", "label", "file", "file_name", "file_size", "created_at"))
    assert rows == [(with_file.pk, 1, "1", with_file.file.name, "Guide (final).pdf", 1,
                     with_file.file_updated_at)]
    assert not ProductFileVersion.objects.filter(product=without).exists()


# ---------------------------------------------------------------------------
# the buyer's download page and downloads of each version
# ---------------------------------------------------------------------------


def test_the_buyer_sees_versions_newest_first_with_sanitized_notes(three_versions):
    product, _, client = three_versions
    page = client.get(downloads_url(product)).content.decode()

    assert re.findall(r'data-version="([^"]+)"', page) == ["2.0", "1.1", "1.0"]
    assert "Adds <strong>two</strong> brushes." in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'data-downloads-left>Unlimited<' in page
    assert "5 minutes after you click Download" in page


def test_the_buyer_downloads_the_latest_by_default_and_any_earlier_version(three_versions):
    product, purchase, client = three_versions
    versions = {v.label: v for v in product.file_versions.all()}

    latest = client.get(f"/products/{product.slug}/download/")
    assert fetch_body(client, latest["Location"]) == b"two"
    Download.objects.all().delete()  # double clicks within seconds are logged once
    older = client.get(f"/products/{product.slug}/download/{versions['1.0'].pk}/")
    response = client.get(urlsplit(older["Location"]).path)
    assert b"".join(response.streaming_content) == b"one"
    assert 'filename="brushes-1.zip"' in response["Content-Disposition"]

    assert list(Download.objects.values_list("purchase_id", "version__label")) == [
        (purchase.pk, "1.0")]
    purchase.refresh_from_db()
    assert purchase.downloads_used == 2


def test_other_buyers_refunded_buyers_and_other_products_versions_get_404(
        three_versions, make_user, make_product):
    product, purchase, client = three_versions
    old = product.file_versions.get(label="1.0")
    stranger = logged_in(make_user())
    assert stranger.get(downloads_url(product)).status_code == 404
    assert stranger.get(f"/products/{product.slug}/download/{old.pk}/").status_code == 404

    other = make_product(content=None)
    foreign = new_version(other, b"theirs", name="theirs.zip")
    assert client.get(f"/products/{product.slug}/download/{foreign.pk}/").status_code == 404

    refund(purchase)
    assert client.get(downloads_url(product)).status_code == 404
    assert client.get(f"/products/{product.slug}/download/{old.pk}/").status_code == 404
    assert not Download.objects.exists()


def test_a_deleted_versions_links_stop_working_and_the_last_one_cannot_go(three_versions):
    product, _, client = three_versions
    seller = logged_in(product.seller)
    old = product.file_versions.get(label="1.0")
    link = urlsplit(client.get(f"/products/{product.slug}/download/{old.pk}/")["Location"]).path

    assert seller.get(f"/seller/products/{product.pk}/versions/{old.pk}/delete/").status_code == 200
    seller.post(f"/seller/products/{product.pk}/versions/{old.pk}/delete/")
    assert client.get(link).status_code == 404

    newest = product.file_versions.get(label="2.0")
    seller.post(f"/seller/products/{product.pk}/versions/{newest.pk}/delete/")
    product.refresh_from_db()
    assert product.file_name == "brushes-1.1.zip"  # the one before became current
    last = product.file_versions.get()
    response = seller.post(f"/seller/products/{product.pk}/versions/{last.pk}/delete/")
    assert response.status_code == 409
    assert "only file" in response.content.decode() or "at least one" in response.content.decode()
    assert product.file_versions.count() == 1


def test_another_sellers_version_is_404(three_versions, make_seller):
    product, _, _ = three_versions
    version = product.file_versions.first()
    other = logged_in(make_seller())
    url = f"/seller/products/{product.pk}/versions/{version.pk}/delete/"
    assert other.get(url).status_code == 404
    assert other.post(url).status_code == 404
    assert product.file_versions.count() == 3


def test_the_updated_badge_links_to_the_notes(three_versions):
    product, _, client = three_versions
    page = client.get("/account/products/").content.decode()
    assert f'href="/account/products/{product.pk}/downloads/#versions"' in page
    assert "data-updated-notes" in page


def test_the_pages_queries_do_not_grow_with_versions(
        three_versions, django_assert_max_num_queries):
    product, _, client = three_versions

    def queries(path: str) -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    page_before = queries(downloads_url(product))
    list_before = queries("/account/products/")
    for i in range(5):
        new_version(product, b"more", name=f"more-{i}.zip", notes=f"Note {i}.")
    with django_assert_max_num_queries(page_before):
        client.get(downloads_url(product))
    with django_assert_max_num_queries(list_before):
        client.get("/account/products/")


# ---------------------------------------------------------------------------
# download limit and link lifetime
# ---------------------------------------------------------------------------


def test_the_limit_shows_what_is_left_and_then_refuses_with_a_page(three_versions):
    product, purchase, client = three_versions
    Product.objects.filter(pk=product.pk).update(download_limit=2)

    assert "2 of 2" in client.get(downloads_url(product)).content.decode()
    assert client.get(f"/products/{product.slug}/download/").status_code == 302
    assert "1 of 2" in client.get(downloads_url(product)).content.decode()
    assert client.get(f"/products/{product.slug}/download/").status_code == 302
    refused = client.get(f"/products/{product.slug}/download/")
    assert refused.status_code == 403
    assert "Download limit reached" in refused.content.decode()
    page = client.get(downloads_url(product)).content.decode()
    assert "0 of 2" in page and "data-limit-reached" in page
    purchase.refresh_from_db()
    assert purchase.downloads_used == 2


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_two_downloads_racing_for_the_last_one_give_exactly_one_link(
        debug, make_seller, make_product, make_user):
    product = make_product(seller=make_seller(), content=None)
    new_version(product, b"file", name="file.zip")
    Product.objects.filter(pk=product.pk).update(download_limit=3)
    buyer = make_user()
    purchase = buy(buyer, product)
    PurchasedProduct.objects.filter(pk=purchase.pk).update(downloads_used=2)
    racers = 8
    barrier = Barrier(racers, timeout=60)
    clients = [logged_in(buyer) for _ in range(racers)]

    def run(i: int) -> int:
        barrier.wait()
        try:
            return clients[i].get(f"/products/{product.slug}/download/").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = Counter(pool.map(run, range(racers)))

    assert outcomes == {302: 1, 403: racers - 1}
    purchase.refresh_from_db()
    assert purchase.downloads_used == 3


def test_a_products_link_lifetime_is_shown_and_honoured(three_versions):
    product, _, client = three_versions
    Product.objects.filter(pk=product.pk).update(link_lifetime_minutes=1)
    page = client.get(downloads_url(product)).content.decode()
    assert "1 minute after you click Download" in page

    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False):
        link = urlsplit(client.get(f"/products/{product.slug}/download/")["Location"]).path
    with time_machine.travel(start + dt.timedelta(seconds=50), tick=False):
        assert fetch_body(client, link) == b"two"
    with time_machine.travel(start + dt.timedelta(seconds=70), tick=False):
        # The site's lifetime (300 s) would still allow it; the product's does not.
        assert client.get(link).status_code == 410


def test_the_seller_form_bounds_the_limit_and_lifetime(three_versions):
    product, _, _ = three_versions
    seller = logged_in(product.seller)
    data = {"title": product.title, "slug": product.slug, "description": "",
            "price": "19.99", "currency": "USD", "action": "publish",
            "download_limit": "0", "link_lifetime_minutes": "20000"}
    response = seller.post(f"/seller/products/{product.pk}/edit/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "greater than or equal to 1" in page and "less than or equal to 10080" in page

    response = seller.post(f"/seller/products/{product.pk}/edit/",
                           {**data, "download_limit": "5", "link_lifetime_minutes": "90"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.download_limit, product.link_lifetime_minutes) == (5, 90)


def test_each_version_downloaded_is_logged_and_a_double_click_once(three_versions):
    product, purchase, client = three_versions
    old = product.file_versions.get(label="1.0")
    for path in (f"/products/{product.slug}/download/",  # 2.0, then a double click
                 f"/products/{product.slug}/download/",
                 f"/products/{product.slug}/download/{old.pk}/"):
        assert client.get(path).status_code == 302

    logged = Download.objects.filter(purchase=purchase).order_by("pk")
    assert [row.version.label for row in logged] == ["2.0", "1.0"]


def test_the_sale_page_lists_the_purchases_downloads(three_versions):
    product, purchase, client = three_versions
    old = product.file_versions.get(label="1.0")
    client.get(f"/products/{product.slug}/download/{old.pk}/", HTTP_USER_AGENT="Firefox/140")
    page = logged_in(product.seller).get(
        f"/seller/sales/{purchase.order.reference}/").content.decode()
    row = re.search(r"<tr data-download>(.*?)</tr>", page, flags=re.S).group(1)
    assert "1.0" in row and "Firefox/140" in row
    assert "127.0.0.1" not in page  # only a hash of the address
    assert "Download links given: 1" in page


# ---------------------------------------------------------------------------
# emails to past buyers
# ---------------------------------------------------------------------------


@pytest.fixture
def buyers(debug, make_seller, make_product, make_user):
    product = make_product(seller=make_seller(), title="Font Kit", content=None)
    new_version(product, b"v1", name="kit.zip")
    owners = [make_user() for _ in range(5)]
    for owner in owners:
        buy(owner, product)
    mail.outbox.clear()
    return product, owners


def test_notify_emails_each_past_buyer_once_in_batches_even_when_run_twice(
        buyers, monkeypatch, django_capture_on_commit_callbacks):
    product, owners = buyers
    monkeypatch.setattr(version_emails, "BATCH_SIZE", 2)  # 5 buyers: three chained tasks
    with django_capture_on_commit_callbacks(execute=True):
        version = new_version(product, b"v2", name="kit-2.zip", label="2.0",
                              notes="Adds *italics*.", notify=True)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(o.email for o in owners)
    assert mail.outbox[0].subject == "Font Kit: version 2.0 is out"
    assert "Adds *italics*." in mail.outbox[0].body
    # A redelivered task (or the whole chain again) emails nobody twice.
    assert version_emails.send_version_emails(version.pk, 0) == 0
    assert len(mail.outbox) == len(owners)
    assert SentEmail.objects.filter(key__startswith=f"version-email:{version.pk}:").count() \
        == len(owners)


def test_a_guest_buyer_is_sent_to_the_page_that_signs_them_in(
        debug, make_seller, make_product, django_capture_on_commit_callbacks):
    from marketplace_core.guests.identities import buyer_for_email

    product = make_product(seller=make_seller(), title="Font Kit", content=None)
    new_version(product, b"v1", name="kit.zip")
    buy(buyer_for_email("guest@example.com"), product)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new_version(product, b"v2", name="kit-2.zip", notify=True)

    [message] = mail.outbox
    assert "You bought without an account" in message.body
    assert "https://shop.example/account/purchases/access/" in message.body
    assert f"/account/products/{product.pk}/downloads/" not in message.body
    assert "Get a link to your purchases" in message.alternatives[0][0]


def test_no_email_without_the_tick(buyers, django_capture_on_commit_callbacks):
    product, _ = buyers
    with django_capture_on_commit_callbacks(execute=True):
        new_version(product, b"v2", name="kit-2.zip")
    assert mail.outbox == []


def test_the_unsubscribe_link_is_honoured_by_later_emails(
        buyers, django_capture_on_commit_callbacks):
    product, owners = buyers
    with django_capture_on_commit_callbacks(execute=True):
        new_version(product, b"v2", name="kit-2.zip", notify=True)
    message = next(m for m in mail.outbox if m.to == [owners[0].email])
    link = re.search(r"https://shop\.example(/updates/unsubscribe/[^/\s]+/)", message.body)
    assert link is not None
    assert message.extra_headers["List-Unsubscribe"] == f"<https://shop.example{link.group(1)}>"

    cache.clear()  # rate-limit counts of earlier tests
    anonymous = Client()
    page = anonymous.get(link.group(1))
    assert page.status_code == 200 and 'data-unsubscribed="no"' in page.content.decode()
    assert not VersionEmailOptOut.objects.exists()  # a GET (a mail scanner) changes nothing
    done = anonymous.post(link.group(1))
    assert 'data-unsubscribed="yes"' in done.content.decode()
    assert anonymous.post(link.group(1)).status_code == 200  # twice is fine
    tampered = link.group(1).replace(":", "x", 1) if ":" in link.group(1) else link.group(1) + "x"
    assert anonymous.get(tampered).status_code == 404

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new_version(product, b"v3", name="kit-3.zip", notify=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for o in owners[1:])


@pytest.mark.usefixtures("still_clock")  # the limit counts in fixed windows
def test_unsubscribe_pages_are_rate_limited_per_address(db):
    from marketplace_core.catalog.unsubscribe_views import PER_ADDRESS

    cache.clear()  # rate-limit counts of earlier tests
    anonymous = Client()
    for _ in range(PER_ADDRESS.count):
        assert anonymous.get("/updates/unsubscribe/forged/").status_code == 404
    refused = anonymous.get("/updates/unsubscribe/forged/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many attempts" in refused.content.decode()


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    '<iframe src="https://evil.example"></iframe>',
])
def test_markdown_never_lets_active_content_through(source):
    html = str(render_markdown(source))
    assert re.search(r"<(script|img|iframe)\b", html) is None, html
    assert re.search(r"<[^>]*\son\w+\s*=", html) is None, html
    assert re.search(r"<a\b[^>]*href=\S*(javascript|data):", html) is None, html


def test_markdown_keeps_formatting_and_safe_links():
    html = str(render_markdown("# Title\n\n**bold** _it_ [site](https://example.com)\n\n- a\n- b"))
    assert "<h3>Title</h3>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer">site</a>' in html
    assert "<li>a</li>" in html
    assert str(render_markdown("")) == ""
