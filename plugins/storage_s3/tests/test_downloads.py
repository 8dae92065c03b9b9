"""Downloads from the bucket: the owner's 302 to a presigned GET, and what the
store does with that link (exact bytes, attachment name, expiry, tampering).

Every link here is fetched from the real SeaweedFS server, which checks SigV4
signatures and expiry the way AWS does.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone
from marketplace_storage_s3.backend import S3StorageBackend
from marketplace_storage_s3.testing import S3TestServer

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL
from marketplace_core.ownership.models import Download
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.testing.factories import make_user

from .helpers import (
    buy,
    download_path,
    http_get,
    logged_in,
    presigned_link,
    product_with,
    replace_file,
)

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def with_storage_options(s3: S3TestServer, **options: object) -> override_settings:
    """The session's MARKETPLACE with some ``storage_s3`` options changed."""
    from django.conf import settings

    marketplace = dict(settings.MARKETPLACE)
    marketplace["storage_s3"] = {**marketplace["storage_s3"], **options}
    return override_settings(MARKETPLACE=marketplace)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    params = {**query(url), **changes}
    return urlunsplit(parts._replace(query=urlencode(params, quote_via=quote)))


def test_backend_is_the_s3_one():
    assert isinstance(storage_backend(), S3StorageBackend)


def test_owner_is_redirected_to_a_link_that_returns_the_exact_bytes_as_attachment(s3):
    user = make_user()
    buyer = logged_in(user)
    product = product_with(CONTENT, file_name="Field Guide.pdf")
    buy(user, product)

    response = buyer.get(download_path(product))

    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    link = presigned_link(buyer, product, s3.endpoint_url)
    fetched = http_get(link)
    assert fetched.status_code == 200
    assert fetched.content == CONTENT
    # core stores the sanitized original name ("Field_Guide.pdf") as file_name.
    assert fetched.headers["Content-Disposition"] == f'attachment; filename="{product.file_name}"'
    assert product.file_name == "Field_Guide.pdf"
    assert Download.objects.filter(purchase__product=product).count() == 1


def test_non_ascii_name_uses_rfc_5987_encoding_with_an_ascii_fallback(s3):
    user = make_user()
    product = product_with(CONTENT, file_name="Übersicht résumé.pdf")
    buy(user, product)

    fetched = http_get(presigned_link(logged_in(user), product, s3.endpoint_url))

    assert fetched.status_code == 200
    assert fetched.content == CONTENT
    assert fetched.headers["Content-Disposition"] == (
        "attachment; filename=\"Ubersicht_resume.pdf\"; "
        "filename*=UTF-8''%C3%9Cbersicht_r%C3%A9sum%C3%A9.pdf"
    )


def test_link_lives_for_core_download_link_ttl_by_default(s3, settings):
    user = make_user()
    product = product_with(CONTENT)
    purchase = buy(user, product)

    before = timezone.now()
    target = storage_backend().download_target(RequestFactory().get("/"), purchase)

    assert query(target.url)["X-Amz-Expires"] == "300"
    assert before + dt.timedelta(seconds=299) <= target.expires_at
    assert target.expires_at <= timezone.now() + dt.timedelta(seconds=300)

    settings.MARKETPLACE = {**settings.MARKETPLACE, "DOWNLOAD_LINK_TTL": 120}
    link = presigned_link(logged_in(user), product, s3.endpoint_url)
    assert query(link)["X-Amz-Expires"] == "120"


def test_link_ttl_option_overrides_core_and_is_capped_at_seven_days(s3):
    user = make_user()
    product = product_with(CONTENT)
    buy(user, product)
    client = logged_in(user)

    with with_storage_options(s3, LINK_TTL=45):
        assert query(presigned_link(client, product, s3.endpoint_url))["X-Amz-Expires"] == "45"
    # The check (E007) refuses longer values; the code caps them all the same.
    with with_storage_options(s3, LINK_TTL=30 * 24 * 3600):
        link = presigned_link(client, product, s3.endpoint_url)
    assert query(link)["X-Amz-Expires"] == str(MAX_DOWNLOAD_LINK_TTL)
    assert http_get(link).content == CONTENT


def test_expired_link_is_refused(s3):
    user = make_user()
    product = product_with(CONTENT)
    buy(user, product)

    with with_storage_options(s3, LINK_TTL=3):
        link = presigned_link(logged_in(user), product, s3.endpoint_url)
    assert http_get(link).status_code == 200

    signed_at = dt.datetime.strptime(query(link)["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    expires = signed_at.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=3)
    time.sleep(max(0.0, (expires - timezone.now()).total_seconds()) + 1.5)

    refused = http_get(link)
    assert refused.status_code == 403
    assert CONTENT not in refused.content


def test_tampered_links_are_refused(s3):
    user = make_user()
    owned = product_with(CONTENT)
    other = product_with(b"someone else's product\n")
    buy(user, owned)
    link = presigned_link(logged_in(user), owned, s3.endpoint_url)
    assert http_get(link).status_code == 200
    signature = query(link)["X-Amz-Signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

    tampered = {
        "signature": with_query(link, **{"X-Amz-Signature": flipped}),
        "expiry": with_query(link, **{"X-Amz-Expires": "604800"}),
        "date": with_query(link, **{"X-Amz-Date": "20991231T000000Z"}),
        "file name": with_query(
            link, **{"response-content-disposition": 'attachment; filename="x.exe"'}),
        "no signature": link.split("&X-Amz-Signature=")[0],
        # The same signature for another product's object: the key is signed.
        "key": link.replace(owned.file.name, other.file.name),
    }
    assert tampered["key"] != link
    for what, url in tampered.items():
        response = http_get(url)
        # S3 answers a link without signature as malformed (400), the rest as denied.
        assert response.status_code == (400 if what == "no signature" else 403), what
        assert CONTENT not in response.content and b"someone else" not in response.content


def test_replacing_the_file_updates_file_updated_at_and_serves_the_new_bytes(s3):
    user = make_user()
    product = product_with(b"version 1\n", file_name="notes.txt")
    buy(user, product)
    first_key, first_updated = product.file.name, product.file_updated_at
    client = logged_in(user)
    assert http_get(presigned_link(client, product, s3.endpoint_url)).content == b"version 1\n"

    time.sleep(0.01)
    replace_file(product, b"version 2, with fixes\n", "notes-v2.txt")
    product.refresh_from_db()

    assert product.file_updated_at > first_updated
    assert product.file.name != first_key
    Download.objects.all().delete()  # a second click within seconds would not be logged
    fetched = http_get(presigned_link(client, product, s3.endpoint_url))
    assert fetched.content == b"version 2, with fixes\n"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="notes-v2.txt"'


def test_public_endpoint_url_is_the_host_links_are_signed_for(s3):
    """Browsers reach the store as ``localhost``, the app as ``127.0.0.1``."""
    public = s3.endpoint_url.replace("127.0.0.1", "localhost")
    user = make_user()
    product = product_with(CONTENT)
    buy(user, product)

    with with_storage_options(s3, PUBLIC_ENDPOINT_URL=public):
        link = presigned_link(logged_in(user), product, public)
    fetched = http_get(link)
    assert fetched.status_code == 200
    assert fetched.content == CONTENT
    # A link signed for the public host is not valid at another host name.
    assert http_get(link.replace("localhost", "127.0.0.1")).status_code == 403

