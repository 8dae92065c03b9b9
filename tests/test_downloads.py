"""Ownership-checked downloads with local storage (issue 5).

``/products/<slug>/download/`` answers an active owner with a 302 to a signed,
expiring ``/downloads/local/<token>/`` link; everyone else gets 404 (anonymous
users the login page). The local view serves the exact bytes as an attachment,
supports single byte ranges, refuses expired (410), tampered and revoked
links (404), refuses to run with DEBUG off unless allowed, and never leaves
the storage root.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.conf import conf
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Download, PurchasedProduct
from marketplace_core.storage.backends import DOWNLOAD_TOKEN_SALT
from marketplace_core.testing.factories import buy, logged_in, refund

LOCAL_PREFIX = "/downloads/local/"
SECRET_BYTES = b"TOP SECRET: outside the storage root\n"


def _content(i: int) -> bytes:
    return f"product {i} payload\n".encode() * 300 + bytes(range(256)) * (i + 1)


def download_link(client: Client, product: Product) -> str:
    """The path of the local link the download view redirects an owner to."""
    response = client.get(f"/products/{product.slug}/download/")
    assert response.status_code == 302, response
    location = response["Location"]
    assert urlsplit(location).path.startswith(LOCAL_PREFIX)
    return urlsplit(location).path


def fetch(client: Client, path: str, **headers: str):
    response = client.get(path, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def debug(settings):
    settings.DEBUG = True  # local downloads are a development feature
    return settings


@pytest.fixture
def owned(db, debug, make_user, make_product):
    """A buyer owning one product with a known file, and a client logged in as them."""
    data = _content(7)
    product = make_product(title="Owned Guide", content=data, file_name="owned-guide.pdf")
    buyer = make_user()
    purchase = buy(buyer, product)
    return purchase, data, logged_in(buyer)


# ---------------------------------------------------------------------------
# the authorization matrix
# ---------------------------------------------------------------------------

OWNER, OTHER_BUYER, REFUNDED_OWNER = "owner", "other buyer", "refunded owner"


@pytest.mark.smoke
@pytest.mark.django_db
def test_authorization_matrix(debug, make_user, make_product):
    """3 users x 3 products: for each product one user owns it, one bought
    something else, one had it refunded (or revoked); plus anonymous."""
    products = [
        make_product(title=f"Matrix {i}", content=_content(i), file_name=name)
        for i, name in enumerate(["matrix-0.pdf", "Über Guide.pdf", "matrix 2.zip"])
    ]
    users = [make_user() for _ in range(3)]
    relation: dict[tuple[int, int], str] = {}
    for u in range(3):
        for p in range(3):
            relation[u, p] = (OWNER, OTHER_BUYER, REFUNDED_OWNER)[(u - p) % 3]
    for (u, p), kind in relation.items():
        if kind == REFUNDED_OWNER:
            purchase = buy(users[u], products[p])
            if p == 2:
                services.revoke_ownership(purchase, reason="chargeback")
            else:
                refund(purchase)
    for (u, p), kind in relation.items():
        if kind == OWNER:
            buy(users[u], products[p])
    # Every user bought something, so "other buyer" really is a buyer.
    assert all(PurchasedProduct.objects.filter(buyer=user).exists() for user in users)

    clients = [logged_in(user) for user in users]
    seen = {OWNER: 0, OTHER_BUYER: 0, REFUNDED_OWNER: 0}
    for (u, p), kind in relation.items():
        product = products[p]
        response = clients[u].get(f"/products/{product.slug}/download/")
        seen[kind] += 1
        if kind != OWNER:
            assert response.status_code == 404, (u, p, kind)
            assert LOCAL_PREFIX not in response.content.decode()
            continue
        assert response.status_code == 302, (u, p, kind)
        path = urlsplit(response["Location"]).path
        assert path.startswith(LOCAL_PREFIX)
        file_response, body = fetch(clients[u], path)
        assert file_response.status_code == 200
        assert body == _content(p)
        disposition = file_response["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert product.file_name in disposition or "%C3%9Cber%20Guide.pdf" in disposition
    assert seen == {OWNER: 3, OTHER_BUYER: 3, REFUNDED_OWNER: 3}

    for product in products:
        response = Client().get(f"/products/{product.slug}/download/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert LOCAL_PREFIX not in response["Location"]

    # Nobody but the owners caused a download record.
    assert Download.objects.count() == 3
    assert {d.purchase.buyer_id for d in Download.objects.select_related("purchase")} == {
        user.pk for user in users
    }


@pytest.mark.django_db
def test_attachment_header_names_the_original_file(owned):
    purchase, data, client = owned
    response, body = fetch(client, download_link(client, purchase.product))
    assert body == data
    assert response["Content-Disposition"] == 'attachment; filename="owned-guide.pdf"'
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_non_ascii_file_name_is_encoded(debug, make_user, make_product):
    product = make_product(content=b"x" * 10, file_name="Résumé template.docx")
    buyer = make_user()
    buy(buyer, product)
    client = logged_in(buyer)
    response, body = fetch(client, download_link(client, product))
    assert body == b"x" * 10
    assert "filename*=utf-8''R%C3%A9sum%C3%A9%20template.docx" in response["Content-Disposition"]


@pytest.mark.django_db
def test_product_without_file_is_404_for_its_owner(debug, make_user, make_product):
    product = make_product(content=None)
    buyer = make_user()
    buy(buyer, product)
    assert logged_in(buyer).get(f"/products/{product.slug}/download/").status_code == 404


@pytest.mark.django_db
def test_unknown_product_is_404(owned):
    _, _, client = owned
    assert client.get("/products/no-such-product/download/").status_code == 404


# ---------------------------------------------------------------------------
# the local link: expiry, tampering, revocation, DEBUG
# ---------------------------------------------------------------------------


class _PastSigner(signing.TimestampSigner):
    """Signs as if it were ``age`` seconds ago (a link minted back then)."""

    def __init__(self, age: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.age = age

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.age)


def _token(purchase: PurchasedProduct, *, age: int = 0, name: str | None = None) -> str:
    payload = {"p": purchase.pk, "f": purchase.product.file.name if name is None else name}
    return _PastSigner(age, salt=DOWNLOAD_TOKEN_SALT).sign_object(payload)


@pytest.mark.django_db
def test_link_expires_after_its_lifetime(owned, settings):
    purchase, data, client = owned
    assert conf.DOWNLOAD_LINK_TTL == 300
    # Minted four minutes ago: still valid.
    response, body = fetch(client, f"{LOCAL_PREFIX}{_token(purchase, age=240)}/")
    assert response.status_code == 200
    assert body == data
    # Minted six minutes ago: gone.
    response = client.get(f"{LOCAL_PREFIX}{_token(purchase, age=360)}/")
    assert response.status_code == 410
    assert b"expired" in response.content
    # A shorter configured lifetime applies to links already handed out.
    settings.MARKETPLACE = {**settings.MARKETPLACE, "DOWNLOAD_LINK_TTL": 60}
    assert client.get(f"{LOCAL_PREFIX}{_token(purchase, age=240)}/").status_code == 410


@pytest.mark.django_db
def test_link_from_the_view_expires_in_real_time(owned, settings):
    purchase, _, client = owned
    settings.MARKETPLACE = {**settings.MARKETPLACE, "DOWNLOAD_LINK_TTL": 1}
    path = download_link(client, purchase.product)
    time.sleep(2.2)
    response = client.get(path)
    assert response.status_code == 410


@pytest.mark.django_db
def test_link_lifetime_is_capped_at_seven_days(owned, settings):
    purchase, _, client = owned
    settings.MARKETPLACE = {**settings.MARKETPLACE, "DOWNLOAD_LINK_TTL": 30 * 24 * 3600}
    eight_days = 8 * 24 * 3600
    assert client.get(f"{LOCAL_PREFIX}{_token(purchase, age=eight_days)}/").status_code == 410


@pytest.mark.django_db
def test_tampered_links_are_404(owned):
    purchase, _, client = owned
    path = download_link(client, purchase.product)
    token = path[len(LOCAL_PREFIX):].rstrip("/")
    value, _, signature = token.rpartition(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_payload = signing.dumps({"p": purchase.pk + 1, "f": purchase.product.file.name})
    candidates = [
        f"{value}:{flipped}",
        token[1:],
        token + "x",
        "not-a-token",
        # Signed with the right key but another salt (e.g. another feature's token).
        other_payload,
        # Another purchase id under the original signature.
        signing.dumps({"p": purchase.pk}, salt="x").split(":")[0] + ":" + token.split(":", 1)[1],
    ]
    for candidate in candidates:
        assert client.get(f"{LOCAL_PREFIX}{candidate}/").status_code == 404, candidate
    # The untouched link still works.
    assert fetch(client, path)[0].status_code == 200


@pytest.mark.django_db
def test_link_of_a_refunded_purchase_is_404(owned):
    purchase, _, client = owned
    path = download_link(client, purchase.product)
    refund(purchase)
    assert client.get(path).status_code == 404
    assert client.get(f"/products/{purchase.product.slug}/download/").status_code == 404


@pytest.mark.django_db
def test_link_of_a_revoked_purchase_is_404_even_for_anyone_holding_it(owned):
    purchase, _, client = owned
    path = download_link(client, purchase.product)
    services.revoke_ownership(purchase, reason="chargeback")
    assert client.get(path).status_code == 404
    assert Client().get(path).status_code == 404


@pytest.mark.django_db
def test_local_view_refuses_without_debug(owned, settings):
    purchase, data, client = owned
    path = download_link(client, purchase.product)
    settings.DEBUG = False
    assert client.get(path).status_code == 404
    settings.MARKETPLACE = {**settings.MARKETPLACE, "ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG": True}
    response, body = fetch(client, path)
    assert response.status_code == 200
    assert body == data


@pytest.mark.django_db
def test_replaced_file_invalidates_old_links(owned):
    from django.core.files.base import ContentFile

    purchase, _, client = owned
    old_path = download_link(client, purchase.product)
    product = purchase.product
    product.set_file(ContentFile(b"version 2", name="v2.pdf"), original_name="owned-guide-v2.pdf")
    product.save()
    assert client.get(old_path).status_code == 404
    response, body = fetch(client, download_link(client, product))
    assert body == b"version 2"
    assert 'filename="owned-guide-v2.pdf"' in response["Content-Disposition"]


# ---------------------------------------------------------------------------
# the storage root
# ---------------------------------------------------------------------------


@pytest.fixture
def outside_secret() -> Iterator[Path]:
    """A file next to (outside) the storage root."""
    root = Path(conf.LOCAL_STORAGE_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    secret = root.parent / "outside-secret.txt"
    secret.write_bytes(SECRET_BYTES)
    yield secret
    secret.unlink(missing_ok=True)


@pytest.mark.django_db
def test_tokens_naming_other_paths_are_refused(owned, outside_secret):
    purchase, _, client = owned
    for name in [
        "../outside-secret.txt",
        "products/../../outside-secret.txt",
        str(outside_secret),
        "/etc/passwd",
        purchase.product.file.name + "/../../../outside-secret.txt",
    ]:
        response = client.get(f"{LOCAL_PREFIX}{_token(purchase, name=name)}/")
        assert response.status_code == 404, name
        assert SECRET_BYTES not in b"".join(getattr(response, "streaming_content", [b""]))


@pytest.mark.django_db
def test_changed_file_name_cannot_escape_the_root(owned, outside_secret):
    """Even when the database names a path outside the root, nothing is served."""
    purchase, _, client = owned
    product = purchase.product
    for name in ["../outside-secret.txt", str(outside_secret), "products/../../outside-secret.txt"]:
        Product.objects.filter(pk=product.pk).update(file=name)
        response = client.get(f"/products/{product.slug}/download/")
        assert response.status_code == 302  # the owner gets a link...
        file_response = client.get(urlsplit(response["Location"]).path)
        assert file_response.status_code == 404, name  # ...that serves nothing
        assert not file_response.streaming


@pytest.mark.django_db
def test_symlink_inside_the_root_cannot_point_out(owned, outside_secret):
    purchase, _, client = owned
    root = Path(conf.LOCAL_STORAGE_ROOT)
    link = root / "products" / "innocent-looking.pdf"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside_secret, link)
    try:
        Product.objects.filter(pk=purchase.product.pk).update(file="products/innocent-looking.pdf")
        path = download_link(client, purchase.product)
        assert client.get(path).status_code == 404
    finally:
        link.unlink()


@pytest.mark.django_db
def test_directory_or_missing_file_is_404_not_500(owned):
    purchase, _, client = owned
    product = purchase.product
    folder = str(Path(product.file.name).parent)
    for name in [folder, folder + "/", "products/missing.pdf", "."]:
        Product.objects.filter(pk=product.pk).update(file=name)
        path = download_link(client, product)
        assert client.get(path).status_code == 404, name


@pytest.mark.django_db
def test_url_level_traversal_is_404(owned):
    _, _, client = owned
    for path in [
        f"{LOCAL_PREFIX}..%2F..%2Fetc%2Fpasswd/",
        f"{LOCAL_PREFIX}../../etc/passwd/",
        f"{LOCAL_PREFIX}%2Fetc%2Fpasswd/",
    ]:
        assert client.get(path).status_code == 404, path


# ---------------------------------------------------------------------------
# the download log
# ---------------------------------------------------------------------------


@pytest.mark.by_database
@pytest.mark.django_db
def test_download_is_logged_once_per_double_click(owned):
    purchase, _, client = owned
    download_link(client, purchase.product)
    download_link(client, purchase.product)
    (entry,) = Download.objects.filter(purchase=purchase)
    assert entry.ip_address == "127.0.0.1"
    # A later download (outside the double-click window) counts again.
    Download.objects.update(created_at=timezone.now() - dt.timedelta(minutes=1))
    download_link(client, purchase.product)
    assert Download.objects.filter(purchase=purchase).count() == 2


@pytest.mark.django_db
def test_failed_attempts_and_file_fetches_are_not_logged(owned, make_user):
    purchase, _, client = owned
    logged_in(make_user()).get(f"/products/{purchase.product.slug}/download/")
    assert Download.objects.count() == 0
    path = download_link(client, purchase.product)
    for _ in range(3):
        fetch(client, path, Range="bytes=0-9")
    assert Download.objects.count() == 1


@pytest.mark.by_database
@pytest.mark.django_db
def test_unusable_client_address_is_stored_empty(owned):
    purchase, _, client = owned
    response = client.get(f"/products/{purchase.product.slug}/download/", REMOTE_ADDR="unix:")
    assert response.status_code == 302
    assert Download.objects.get(purchase=purchase).ip_address is None


@pytest.mark.by_database
@pytest.mark.django_db(transaction=True)
def test_parallel_double_click_is_logged_once(settings, make_user, make_product):
    settings.DEBUG = True
    product = make_product(content=b"abc")
    buyer = make_user()
    purchase = buy(buyer, product)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def click() -> None:
        try:
            client = logged_in(buyer)
            barrier.wait(timeout=10)
            statuses.append(client.get(f"/products/{product.slug}/download/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302] * 6
    assert Download.objects.filter(purchase=purchase).count() == 1


# ---------------------------------------------------------------------------
# the link never shows up in pages
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_download_url_never_rendered(owned):
    purchase, _, client = owned
    product = purchase.product
    for url in [product.get_absolute_url(), "/account/products/", "/products/", "/"]:
        html = client.get(url).content.decode()
        assert LOCAL_PREFIX not in html, url
        assert product.file.name not in html, url  # nor the storage key
    detail = client.get(product.get_absolute_url()).content.decode()
    mine = client.get("/account/products/").content.decode()
    for html in (detail, mine):
        assert f'href="/products/{product.slug}/download/"' in html


# ---------------------------------------------------------------------------
# range requests
# ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=10-10", 10, 10),
        ("bytes=5-99999999", 5, None),
        ("BYTES = 3 - 7", 3, 7),
    ],
)
def test_single_range_gives_206(owned, header, first, last):
    purchase, data, client = owned
    path = download_link(client, purchase.product)
    response, body = fetch(client, path, Range=header)
    expected = data[first:] if last is None else data[first:last + 1]
    start = first if first >= 0 else len(data) + first
    end = start + len(expected) - 1
    assert response.status_code == 206
    assert body == expected
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert response["Content-Length"] == str(len(expected))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == 'attachment; filename="owned-guide.pdf"'


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{bigger}", "bytes=-0"])
def test_unsatisfiable_range_gives_416(owned, header):
    purchase, data, client = owned
    path = download_link(client, purchase.product)
    header = header.format(size=len(data), bigger=len(data) + 10)
    response = client.get(path, headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "items=0-5", "bytes=abc", ""])
def test_ignored_range_headers_give_the_whole_file(owned, header):
    purchase, data, client = owned
    path = download_link(client, purchase.product)
    response, body = fetch(client, path, Range=header)
    assert response.status_code == 200
    assert body == data
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.django_db
def test_if_range_with_a_stale_validator_gives_the_whole_file(owned):
    purchase, data, client = owned
    path = download_link(client, purchase.product)
    full, _ = fetch(client, path)
    etag = full["ETag"]
    response, body = fetch(client, path, Range="bytes=0-3", **{"If-Range": etag})
    assert (response.status_code, body) == (206, data[:4])
    response, body = fetch(client, path, Range="bytes=0-3", **{"If-Range": full["Last-Modified"]})
    assert (response.status_code, body) == (206, data[:4])
    response, body = fetch(client, path, Range="bytes=0-3", **{"If-Range": '"stale"'})
    assert (response.status_code, body) == (200, data)


@pytest.mark.smoke
@pytest.mark.django_db(transaction=True)
def test_resumed_download_over_http(live_server, settings, make_user, make_product):
    """A real HTTP client fetching the file in two ranges gets the exact bytes."""
    settings.DEBUG = True
    data = _content(3) * 50
    product = make_product(content=data, file_name="big.bin")
    buyer = make_user()
    buy(buyer, product)
    client = logged_in(buyer)
    path = download_link(client, product)
    half = len(data) // 2
    first = requests.get(f"{live_server.url}{path}", headers={"Range": f"bytes=0-{half - 1}"},
                         timeout=10)
    rest = requests.get(f"{live_server.url}{path}", headers={"Range": f"bytes={half}-"},
                        timeout=10)
    assert (first.status_code, rest.status_code) == (206, 206)
    assert int(first.headers["Content-Length"]) == half
    assert first.content + rest.content == data
    whole = requests.get(f"{live_server.url}{path}", timeout=10)
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.content == data


def test_hook_tracing_never_prints_the_download_link(owned, monkeypatch, capfd):
    """With MARKETPLACE_TRACE_HOOKS=1 every hook result is written to stderr; the
    link is a bearer credential until it expires, so it must not be among them."""
    from marketplace_core.plugins import manager
    from tests.fakeplugins import preserved_plugin_manager

    purchase, _, client = owned
    monkeypatch.setenv(manager.TRACE_ENV_VAR, "1")
    with preserved_plugin_manager():
        # Tracing is switched on when the manager is built, as at start-up.
        monkeypatch.setattr(manager, "_manager",
                            manager.build_plugin_manager(manager.enabled_plugins()))
        capfd.readouterr()
        path = download_link(client, purchase.product)

    err = capfd.readouterr().err
    assert "resolve_download" in err and "DownloadTarget(" in err  # it was traced
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token not in err
    assert LOCAL_PREFIX not in err


@pytest.mark.by_database
def test_download_log_records_the_client_behind_trusted_proxies(owned, settings):
    from marketplace_core.ownership.models import Download

    purchase, _, client = owned
    settings.MARKETPLACE = {**settings.MARKETPLACE, "TRUSTED_PROXY_COUNT": 1}
    response = client.get(f"/products/{purchase.product.slug}/download/",
                          headers={"x-forwarded-for": "203.0.113.9, 198.51.100.7"},
                          REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302
    assert Download.objects.get(purchase=purchase).ip_address == "198.51.100.7"
