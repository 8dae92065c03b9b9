"""Downloads from the bucket: what is particular to presigned GETs (the link's
lifetime options, RFC 5987 names as Django writes them, the public endpoint).

What every backend must do (exact bytes as an attachment, expiry, tampering,
replaced files, who gets a link) is core's storage contract kit, run in
``test_storage_contract.py``. Every link here is fetched from the real
SeaweedFS server, which checks SigV4 signatures and expiry the way AWS does.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone
from marketplace_storage_s3.backend import S3StorageBackend
from marketplace_storage_s3.testing import S3TestServer

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL
from marketplace_core.plugins.registry import storage_backend
from marketplace_core.testing.factories import make_user

from .helpers import buy, http_get, logged_in, presigned_link, product_with

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


def test_backend_is_the_s3_one():
    assert isinstance(storage_backend(), S3StorageBackend)


@pytest.mark.parametrize(("file_name", "disposition"), [
    ("Übersicht résumé.pdf", "attachment; filename*=utf-8''%C3%9Cbersicht%20r%C3%A9sum%C3%A9.pdf"),
    ("😀.zip", "attachment; filename*=utf-8''%F0%9F%98%80.zip"),
    ('Season "One".zip', 'attachment; filename="Season \\"One\\".zip"'),
])
def test_the_link_names_the_file_as_django_writes_content_disposition(s3, file_name,
                                                                        disposition):
    """``django.utils.http.content_disposition_header``: RFC 5987 ``filename*``
    for names that are not plain ASCII, a quoted string otherwise."""
    user = make_user()
    product = product_with(CONTENT, file_name=file_name)
    buy(user, product)

    fetched = http_get(presigned_link(logged_in(user), product, s3.endpoint_url))

    assert fetched.status_code == 200
    assert fetched.content == CONTENT
    assert fetched.headers["Content-Disposition"] == disposition


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

