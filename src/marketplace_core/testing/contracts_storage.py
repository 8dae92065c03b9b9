"""Contract tests that every storage backend plugin runs against itself.

A backend passes when a seller's upload is stored byte for byte under a key
nobody can guess, only active owners are sent to a link (by core's
``ProductDownloadView``), that link returns the exact bytes as an attachment
under the product's original file name, expires, and is refused when tampered
with, a replaced file is served in place of the old one, an earlier file
version by its own link under its own name, a product's own link lifetime
bounds its links, and
``validate_upload`` refuses empty files. Names are held to core's rules
whatever the store: a name long in UTF-8 bytes (``"é" * 130``), one of emoji
only (``😀.zip``) or of 1,000 characters is stored under a key that fits the
backend's ``max_key_bytes`` and ``max_segment_bytes``, keeps its extension,
and still reaches the buyer under the seller's own name. It must pass with real links fetched
from wherever the backend serves them (a real S3-compatible server, the site's
own download view, ...), never from a mock.

Subclass :class:`StorageBackendContract` in your plugin's tests and give it a
``harness`` fixture returning a :class:`StorageHarness` that says how to fetch
a link, how to let one expire and how to tamper with one::

    from marketplace_core.testing.contracts_storage import (
        Fetched, StorageBackendContract, StorageHarness, TamperedLink,
    )

    class MyHarness(StorageHarness):
        identifier = "mystore"
        expired_status = 403
        ...

    class TestMyStoreContract(StorageBackendContract):
        @pytest.fixture
        def harness(self, my_store_settings):
            return MyHarness(my_store_settings)

``MARKETPLACE["STORAGE_BACKEND"]`` must name the backend under test for the
whole test (the kit changes only ``DOWNLOAD_LINK_TTL``). The class name does
not start with ``Test``, so pytest collects only your subclass. The kit needs
pytest-django and the factory fixtures of ``marketplace_core.testing``; run it
on SQLite and on PostgreSQL (``--marketplace-db=postgres``).
"""

from __future__ import annotations

import abc
import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from marketplace_core.catalog.models import Product
from marketplace_core.ownership import services
from marketplace_core.ownership.models import Download, PurchasedProduct
from marketplace_core.storage.uploads import KEY_OVERHEAD_BYTES
from marketplace_core.testing.factories import buy, logged_in, refund

__all__ = [
    "CONTENT",
    "MAX_LINK_BYTES",
    "UNGUESSABLE",
    "Fetched",
    "StorageBackendContract",
    "StorageHarness",
    "TamperedLink",
    "attachment_name",
    "buy",
    "download_path",
    "logged_in",
    "refund",
]

#: Every byte value, so an encoding or text-mode mistake cannot go unnoticed.
CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
#: A random segment of at least 128 bits in the storage key (a uuid4 in hex).
UNGUESSABLE = re.compile(r"(?:^|/)[0-9a-f]{32}(?:/|$)")
#: The longest link the download redirect may carry: with the response's other
#: headers it stays within the 4 KiB of headers a proxy buffers by default (nginx).
MAX_LINK_BYTES = 3072


@dataclass(frozen=True)
class Fetched:
    """What a browser got for a link: status, body and headers (case-insensitive)."""

    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class TamperedLink:
    """A changed link and the status the store must refuse it with."""

    url: str
    status: int


class StorageHarness(abc.ABC):
    """What the kit needs to know about a backend: how a browser meets its links."""

    #: The backend's ``identifier`` (the configured ``STORAGE_BACKEND``).
    identifier: ClassVar[str]
    #: The status the store answers an expired link with (S3: 403; core's local view: 410).
    expired_status: ClassVar[int]
    #: The link lifetime in seconds (``DOWNLOAD_LINK_TTL``) the kit sets before
    #: minting a link it lets expire; long enough to fetch the link once at once.
    short_ttl: ClassVar[int] = 2

    @abc.abstractmethod
    def fetch(self, link: str) -> Fetched:
        """GET ``link`` as a browser would: without the site's session, following
        no redirects."""

    @abc.abstractmethod
    def expire(self, link: str) -> None:
        """Return once ``link``, minted just now with a lifetime of
        :attr:`short_ttl` seconds, has expired (wait in real time)."""

    @abc.abstractmethod
    def tampered(self, link: str, *, owned: Product, other: Product) -> dict[str, TamperedLink]:
        """Changed copies of ``link`` (a link to ``owned``'s file), by what was changed.

        Include at least: the signature changed, the expiry moved later, and
        the link pointed at ``other``'s file (which the buyer does not own).
        """

    @abc.abstractmethod
    def contains_link(self, text: str) -> bool:
        """Whether ``text`` (a page, a header) holds one of this backend's links,
        or a part that gives one away (a presigned query, a token path)."""

    def check_link(self, link: str) -> None:
        """Assert that ``link`` is one of this backend's links (by default: it
        :meth:`contains_link`)."""
        assert self.contains_link(link), f"{link!r} is not a link of this backend"

    def direct_urls(self, key: str) -> list[str]:
        """Addresses where stored object ``key`` could be read without a link
        (a bucket's plain object URL); each must be refused. None by default."""
        return []


# -------------------------------------------------------------------------
# helpers (``buy``, ``refund`` and ``logged_in`` come from :mod:`.factories`)
# -------------------------------------------------------------------------


def download_path(product: Product) -> str:
    return reverse("marketplace:product_download", kwargs={"slug": product.slug})


def attachment_name(disposition: str) -> str:
    """The file name a browser saves under for ``Content-Disposition: disposition``
    (``filename*`` of RFC 6266/8187 first); fails unless it is an attachment."""
    assert disposition.split(";")[0].strip().lower() == "attachment", disposition
    extended = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;\s]+)", disposition, re.IGNORECASE)
    if extended:
        return unquote(extended.group(2), encoding=extended.group(1) or "utf-8", errors="strict")
    plain = re.search(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"', disposition, re.IGNORECASE)
    assert plain, f"no file name in {disposition!r}"
    return re.sub(r"\\(.)", r"\1", plain.group(1))


# -------------------------------------------------------------------------
# the contract
# -------------------------------------------------------------------------


class StorageBackendContract:
    """The behaviour every storage backend must show. Subclass it; provide ``harness``."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.django_db]

    @pytest.fixture
    def harness(self) -> StorageHarness:
        pytest.fail(f"{type(self).__name__} must define a `harness` fixture "
                    "returning a StorageHarness")

    @pytest.fixture
    def backend(self, harness: StorageHarness) -> Any:
        from marketplace_core.plugins.registry import storage_backend

        active = storage_backend()
        assert active.identifier == harness.identifier, (
            f"MARKETPLACE['STORAGE_BACKEND'] is {active.identifier!r}; the harness is for "
            f"{harness.identifier!r}"
        )
        return active

    def link(self, harness: StorageHarness, client: Client, product: Product) -> str:
        """The link ``ProductDownloadView`` redirects the logged-in owner to."""
        response = client.get(download_path(product))
        assert response.status_code == 302, response
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        location = str(response["Location"])
        harness.check_link(location)
        assert len(location.encode()) <= MAX_LINK_BYTES, len(location.encode())
        return location

    # --- uploads -------------------------------------------------------------

    def test_upload_stores_the_exact_bytes_under_an_unguessable_key(
        self, harness: StorageHarness, backend: Any, make_seller: Callable[..., Any]
    ) -> None:
        from marketplace_core.catalog.services import save_product

        seller = make_seller()
        products = [
            save_product(Product(title=f"Upload {i}", price=500, currency="USD"), seller=seller,
                         publish=True, upload=SimpleUploadedFile("guide.pdf", CONTENT))
            for i in range(2)
        ]

        keys = [str(product.file.name or "") for product in products]
        assert all(keys), "the upload was not stored"
        assert keys[0] != keys[1], "the same upload twice must not share a key"
        storage = backend.get_storage()
        for product, key in zip(products, keys, strict=True):
            assert UNGUESSABLE.search(key), f"{key!r} has no random segment of 128 bits"
            assert key.endswith("guide.pdf")
            assert (product.file_name, product.file_size) == ("guide.pdf", len(CONTENT))
            assert storage.exists(key)
            assert storage.size(key) == len(CONTENT)
            with storage.open(key, "rb") as handle:
                assert handle.read() == CONTENT
            for url in harness.direct_urls(key):
                refused = harness.fetch(url)
                assert 400 <= refused.status < 500, (url, refused.status)
                assert CONTENT not in refused.body

    def test_validate_upload_refuses_empty_files(self, backend: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            backend.validate_upload(SimpleUploadedFile("empty.pdf", b""))
        assert caught.value.code == "file_empty"

    @pytest.mark.parametrize("sent_name", [
        "../../etc/pass wd.pdf", "C:\\Users\\me\\guide.pdf", ".hidden.pdf", "/abs/guide.pdf",
    ])
    def test_validate_upload_keeps_only_a_safe_base_name(self, backend: Any,
                                                         sent_name: str) -> None:
        name = backend.validate_upload(SimpleUploadedFile(sent_name, b"some bytes"))
        assert name and "/" not in name and "\\" not in name, name
        assert not name.startswith("."), name
        assert name.endswith(".pdf"), name

    @pytest.mark.parametrize(("sent_name", "extension"), [
        pytest.param("é" * 130 + ".pdf", ".pdf", id="264-bytes"),
        pytest.param("😀.zip", ".zip", id="emoji-only"),
        pytest.param("a" * 1000 + ".pdf", ".pdf", id="1000-characters"),
        pytest.param("ж" * 300 + ".tar.gz", ".tar.gz", id="cyrillic-tar-gz"),
        pytest.param("😀" * 200, "", id="emoji-no-extension"),
    ])
    def test_validate_upload_fits_any_name_into_the_stores_keys(
        self, backend: Any, sent_name: str, extension: str
    ) -> None:
        # ContentFile keeps the whole name (an UploadedFile cuts it to 255 characters).
        name = backend.validate_upload(ContentFile(b"some bytes", name=sent_name))
        size = len(name.encode("utf-8"))

        assert size <= backend.name_budget(), (name, size)
        assert size <= backend.max_segment_bytes
        assert KEY_OVERHEAD_BYTES + size <= backend.max_key_bytes
        assert name.endswith(extension) and len(name) > len(extension), name
        assert "/" not in name and not name.startswith("."), name

    # --- who gets a link -----------------------------------------------------

    @pytest.mark.smoke
    def test_only_active_owners_get_a_link(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_seller: Callable[..., Any], make_product: Callable[..., Any],
    ) -> None:
        """3 buyers x 3 products: for product ``j`` buyer ``j`` owns it, buyer
        ``j+1`` had it refunded (product 2: revoked by staff instead), buyer
        ``j+2`` owns another product only; an anonymous visitor tries too."""
        owner, refunded, other_buyer = "owner", "refunded owner", "other buyer"
        seller = make_seller()
        contents = [f"product {j}: ".encode() + bytes([j]) * 2048 + CONTENT for j in range(3)]
        products = [make_product(seller=seller, content=contents[j], file_name=f"product-{j}.bin")
                    for j in range(3)]
        buyers = [make_user() for _ in range(3)]

        def role(i: int, j: int) -> str:
            return (owner, refunded, other_buyer)[(i - j) % 3]

        for i, buyer in enumerate(buyers):
            for j, product in enumerate(products):
                if role(i, j) == refunded:
                    purchase = buy(buyer, product)
                    if j == 2:
                        assert services.revoke_ownership(purchase, reason="chargeback")
                    else:
                        refund(purchase)
        for i, buyer in enumerate(buyers):
            for j, product in enumerate(products):
                if role(i, j) == owner:
                    buy(buyer, product)
        login_path = resolve_url(django_settings.LOGIN_URL)

        seen: set[str] = set()
        for j, product in enumerate(products):
            anonymous = Client().get(download_path(product))
            assert anonymous.status_code == 302, product
            location = anonymous["Location"]
            assert urlsplit(location).path == login_path, location
            assert urlsplit(location).netloc in ("", "testserver"), location
            assert not harness.contains_link(location), location
            seen.add("anonymous")
            for i, buyer in enumerate(buyers):
                kind = role(i, j)
                seen.add(kind)
                client = logged_in(buyer)
                if kind == owner:
                    fetched = harness.fetch(self.link(harness, client, product))
                    assert fetched.status == 200, (i, j)
                    assert fetched.body == contents[j], (i, j)
                    assert fetched.headers["Content-Disposition"] == (
                        f'attachment; filename="product-{j}.bin"')
                else:
                    response = client.get(download_path(product))
                    assert response.status_code == 404, (i, j, kind)
                    assert not response.has_header("Location"), (i, j, kind)
                    assert not harness.contains_link(response.content.decode(errors="replace"))

        assert seen == {owner, refunded, other_buyer, "anonymous"}
        # One logged download per active owner, none for anyone else.
        assert sorted((d.purchase.buyer_id, d.purchase.product_id)
                      for d in Download.objects.select_related("purchase")) == sorted(
            (buyers[j].pk, products[j].pk) for j in range(3))

    @pytest.mark.parametrize("ending", ["refund", "revoked by staff"])
    def test_losing_ownership_ends_access_at_once(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any], ending: str,
    ) -> None:
        product = make_product(content=CONTENT)
        buyer = make_user()
        purchase = buy(buyer, product)
        client = logged_in(buyer)
        assert harness.fetch(self.link(harness, client, product)).body == CONTENT

        if ending == "refund":
            refund(purchase)
        else:
            assert services.revoke_ownership(purchase, reason="chargeback")

        assert not PurchasedProduct.objects.active().filter(pk=purchase.pk).exists()
        response = client.get(download_path(product))
        assert response.status_code == 404
        assert not response.has_header("Location")
        assert not harness.contains_link(response.content.decode(errors="replace"))

    # --- the link ------------------------------------------------------------

    @pytest.mark.smoke
    @pytest.mark.parametrize(("sent_name", "saved_as"), [
        ("Field Guide.pdf", "Field Guide.pdf"),
        ("Übersicht résumé.pdf", "Übersicht résumé.pdf"),
        ('Season "One"; part 2.zip', 'Season "One"; part 2.zip'),
        ("C:\\Users\\me\\guide\r\n.pdf", "guide.pdf"),
        pytest.param("é" * 130 + ".pdf", "é" * 130 + ".pdf", id="264-bytes"),
        pytest.param("😀.zip", "😀.zip", id="emoji-only"),
        # The buyer's name is kept to 200 characters and 300 bytes (Product.file_name).
        pytest.param("a" * 1000 + ".pdf", "a" * 196 + ".pdf", id="1000-characters"),
        pytest.param("😀" * 300 + ".zip", "😀" * 74 + ".zip", id="300-emoji"),
        pytest.param("é" * 300 + ".pdf", "é" * 148 + ".pdf", id="long-key-and-name"),
    ])
    def test_the_link_returns_the_exact_bytes_as_an_attachment_under_the_original_name(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any], sent_name: str, saved_as: str,
    ) -> None:
        product = make_product(content=CONTENT, file_name=sent_name)
        buyer = make_user()
        buy(buyer, product)

        fetched = harness.fetch(self.link(harness, logged_in(buyer), product))

        assert fetched.status == 200
        assert fetched.body == CONTENT
        assert product.file_name == saved_as
        key = str(product.file.name)
        assert len(key.encode("utf-8")) <= backend.max_key_bytes, key
        assert max(len(part.encode("utf-8")) for part in key.split("/")) <= (
            backend.max_segment_bytes), key
        assert key.endswith(saved_as[saved_as.rindex("."):]), key
        disposition = fetched.headers["Content-Disposition"]
        assert attachment_name(disposition) == saved_as
        if saved_as.isascii() and '"' not in saved_as:
            assert disposition == f'attachment; filename="{saved_as}"'
        assert Download.objects.filter(purchase__product=product).count() == 1

    def test_the_link_expires(
        self, harness: StorageHarness, backend: Any, settings: Any,
        make_user: Callable[..., Any], make_product: Callable[..., Any],
    ) -> None:
        settings.MARKETPLACE = {**settings.MARKETPLACE, "DOWNLOAD_LINK_TTL": harness.short_ttl}
        product = make_product(content=CONTENT)
        buyer = make_user()
        purchase = buy(buyer, product)

        before = timezone.now()
        target = backend.download_target(RequestFactory().get("/"), purchase)
        assert before < target.expires_at
        assert target.expires_at <= timezone.now() + dt.timedelta(seconds=harness.short_ttl)

        link = self.link(harness, logged_in(buyer), product)
        assert harness.fetch(link).status == 200
        harness.expire(link)

        refused = harness.fetch(link)
        assert refused.status == harness.expired_status
        assert CONTENT not in refused.body

    def test_a_tampered_link_is_refused(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any],
    ) -> None:
        owned = make_product(content=CONTENT)
        other = make_product(content=b"someone else's product\n" * 64)
        buyer = make_user()
        buy(buyer, owned)
        link = self.link(harness, logged_in(buyer), owned)
        assert harness.fetch(link).status == 200

        tampered = harness.tampered(link, owned=owned, other=other)

        assert len(tampered) >= 3, "give at least signature, expiry and other-file variants"
        answers = {}
        for what, changed in tampered.items():
            assert changed.url != link, what
            fetched = harness.fetch(changed.url)
            answers[what] = fetched.status
            assert CONTENT not in fetched.body, what
            assert b"someone else" not in fetched.body, what
        assert answers == {what: changed.status for what, changed in tampered.items()}
        assert 200 not in answers.values()
        # The untouched link still works.
        assert harness.fetch(link).body == CONTENT

    # --- replacing the file ----------------------------------------------------

    def test_replacing_the_file_updates_file_updated_at_and_serves_the_new_bytes(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any],
    ) -> None:
        from marketplace_core.catalog.services import save_product

        product = make_product(content=b"version 1\n", file_name="notes.txt")
        buyer = make_user()
        buy(buyer, product)
        first_key, first_updated = product.file.name, product.file_updated_at
        client = logged_in(buyer)
        assert harness.fetch(self.link(harness, client, product)).body == b"version 1\n"

        time.sleep(0.01)
        save_product(product, seller=product.seller, publish=True,
                     upload=SimpleUploadedFile("notes-v2.txt", b"version 2, with fixes\n"))
        product.refresh_from_db()

        assert first_updated is not None and product.file_updated_at is not None
        assert product.file_updated_at > first_updated
        assert product.file.name != first_key
        assert product.file_name == "notes-v2.txt"
        Download.objects.all().delete()  # a second click within seconds would not be logged
        fetched = harness.fetch(self.link(harness, client, product))
        assert fetched.status == 200
        assert fetched.body == b"version 2, with fixes\n"
        assert fetched.headers["Content-Disposition"] == 'attachment; filename="notes-v2.txt"'

    def test_an_earlier_version_is_served_by_its_own_link_under_its_own_name(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any],
    ) -> None:
        from marketplace_core.catalog.services import save_product

        product = make_product(content=None)
        save_product(product, seller=product.seller, publish=True,
                     upload=SimpleUploadedFile("notes-1.txt", b"version 1\n"))
        save_product(product, seller=product.seller, publish=True,
                     upload=SimpleUploadedFile("notes-2.txt", b"version 2\n"))
        first = product.file_versions.get(number=1)
        buyer = make_user()
        buy(buyer, product)

        response = logged_in(buyer).get(f"{download_path(product)}{first.pk}/")
        assert response.status_code == 302, response
        harness.check_link(str(response["Location"]))
        fetched = harness.fetch(str(response["Location"]))
        assert fetched.status == 200
        assert fetched.body == b"version 1\n"
        assert fetched.headers["Content-Disposition"] == 'attachment; filename="notes-1.txt"'
        assert Download.objects.get(purchase__product=product).version == first

    def test_a_products_own_link_lifetime_bounds_the_link(
        self, harness: StorageHarness, backend: Any, make_user: Callable[..., Any],
        make_product: Callable[..., Any],
    ) -> None:
        product = make_product(content=CONTENT)
        product.link_lifetime_minutes = 2
        product.save(update_fields=["link_lifetime_minutes"])
        purchase = buy(make_user(), product)

        before = timezone.now()
        target = backend.download_target(RequestFactory().get("/"), purchase)
        assert before + dt.timedelta(seconds=110) < target.expires_at
        assert target.expires_at <= timezone.now() + dt.timedelta(seconds=120)
