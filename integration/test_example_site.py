"""The example site as a site builder meets it: deploy checks, demo data."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest
from django.core.management import call_command
from marketplace_licenses.models import LicenseKey

from integration.processes import manage
from marketplace_core.accounts.models import User
from marketplace_core.catalog.models import Product
from marketplace_core.ownership.models import PurchasedProduct


def test_deploy_checks_clean_in_production(repo_root: Path, tmp_path: Path) -> None:
    env = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "MARKETPLACE_VAR_DIR": str(tmp_path),
        "MAINTENANCE_BYPASS_SECRET": secrets.token_urlsafe(24),
    }
    result = manage(repo_root, "check", "--deploy", env=env)
    output = result.stdout + result.stderr
    # Every Django deploy check passes; the three warnings left say what a shop
    # still needs before opening: a real payment provider (the dummy one moves
    # no money), product storage that can serve downloads (S3) and a cache the
    # web processes share (Redis), or pages cached in one are stale in another.
    assert "security." not in output, output
    assert "marketplace_core.W001" in output, output
    assert "marketplace_core.W005" in output, output
    assert "marketplace_core.W031" in output, output
    assert output.count("(marketplace_core.") == 3, output
    assert result.returncode == 0, output


def test_production_refuses_to_start_without_secret_key(repo_root: Path, tmp_path: Path) -> None:
    result = manage(repo_root, "check", env={"DJANGO_ENV": "production",
                                             "MARKETPLACE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


#: Run by the example site's ``manage.py shell``: one request's life (Django's
#: request signals) that writes, then whether SQLite's write-ahead log is still there.
_ONE_WRITING_REQUEST = """
from pathlib import Path
from django.core.signals import request_finished, request_started
from django.db import connection
request_started.send(sender=None)
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS wal_probe (n integer)")
    cursor.execute("INSERT INTO wal_probe VALUES (1)")
request_finished.send(sender=None)
print("wal kept:", Path(connection.settings_dict["NAME"] + "-wal").exists())
"""


def test_sqlite_requests_leave_the_database_open(repo_root: Path, tmp_path: Path) -> None:
    """On SQLite the example site keeps its connections between requests: closing
    the last one checkpoints the write-ahead log and deletes it (an fsync), which
    every request that wrote paid for (a payment webhook: about half its time)."""
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path)}
    assert manage(repo_root, "migrate", "--verbosity=0", env=env).returncode == 0
    result = manage(repo_root, "shell", "-c", _ONE_WRITING_REQUEST, env=env)
    assert "wal kept: True" in result.stdout, result.stdout + result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent_with_real_files(django_capture_on_commit_callbacks) -> None:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the events, as the command commits
        call_command("seed_demo", stdout=out)
    assert "40 products (40 new)" in out.getvalue()
    assert "staff user staff@example.com" in out.getvalue()
    staff = User.objects.get(email="staff@example.com")
    assert staff.is_staff and staff.is_superuser and staff.check_password("demo-password")
    products = Product.objects.count()
    purchases = PurchasedProduct.objects.count()
    assert products == 40
    assert purchases == 3
    # The licenses plugin's demo setup (demo_products_seeded): the buyer has a key.
    key = LicenseKey.objects.get()
    assert key.purchase.buyer.email == "buyer@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    assert "40 products (0 new)" in out.getvalue()
    assert User.objects.filter(is_staff=True).count() == 1
    assert Product.objects.count() == products
    assert PurchasedProduct.objects.count() == purchases
    assert list(LicenseKey.objects.all()) == [key]
    for product in Product.objects.all()[:5]:
        with product.file.open("rb") as handle:
            head = handle.read(4)
        assert head in (b"%PDF", b"PK\x03\x04")
        assert product.file_name.endswith((".pdf", ".zip"))


@pytest.mark.django_db
def test_pages_carry_the_sites_own_look(client) -> None:
    """The example site's base (it overrides core's) adds its stylesheet after
    core's, its brand mark and its footer, on a page from the cache too."""
    for _ in range(2):  # rendered, then from the page cache
        html = client.get("/").content.decode()
        head = html.split("</head>")[0]
        assert head.index("/static/marketplace_core/marketplace.css") < head.index(
            "/static/example_site/site.css")
        assert 'class="brand-mark"' in html
        assert 'class="footer-brand"' in html


def test_demo_emails_go_to_the_console_and_to_var_mail(repo_root: Path, tmp_path: Path) -> None:
    # No EMAIL_HOST: the README says emails are printed and kept under var/mail/.
    result = manage(repo_root, "sendtestemail", "ada@example.com",
                    env={"MARKETPLACE_VAR_DIR": str(tmp_path), "EMAIL_HOST": ""})
    assert result.returncode == 0, result.stderr
    assert "To: ada@example.com" in result.stdout
    (saved,) = (tmp_path / "mail").glob("*.log")
    text = saved.read_text()
    assert "To: ada@example.com" in text and "Test email from" in text
