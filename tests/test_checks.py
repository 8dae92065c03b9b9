"""One test per system-check id of core: present when wrong, absent when right.

Checks are run the way ``manage.py check`` runs them (``run_checks()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import Error, Warning, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test.utils import override_settings

from marketplace_core.conf import MAX_DOWNLOAD_LINK_TTL
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import install
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

# Since Django 6.1, run_checks() without databases checks every database (JSONField
# support), as manage.py check does: each test may open the connection.
pytestmark = pytest.mark.django_db


def marketplace(**options: Any) -> dict[str, Any]:
    """The test suite's ``MARKETPLACE`` with ``options`` changed."""
    return {**settings.MARKETPLACE, **options}


def messages(tags: list[str] | None = None) -> dict[str, list[Any]]:
    """Check messages by id."""
    found: dict[str, list[Any]] = {}
    for message in run_checks(tags=tags):
        found.setdefault(message.id, []).append(message)
    return found


def ids(tags: list[str] | None = None) -> set[str]:
    return set(messages(tags))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
        yield s


def test_suite_settings_pass_every_error_check() -> None:
    """The baseline the tests below change one setting of."""
    assert not [m for m in run_checks() if m.is_serious()]


def test_e001_marketplace_must_be_a_dict() -> None:
    for wrong in (["payments_dodo"], "PLUGINS", None):
        with override_settings(MARKETPLACE=wrong):
            found = messages()
            assert "marketplace_core.E001" in found, wrong
            assert isinstance(found["marketplace_core.E001"][0], Error)
    with override_settings(MARKETPLACE=marketplace()):
        assert "marketplace_core.E001" not in ids()


def test_e002_enabled_plugin_app_must_be_installed(site: FakeSite) -> None:
    pkg = site.add_plugin("fakeplugin")
    [info] = load_plugins(["fakeplugin"])

    install([info])
    found = messages()
    assert "marketplace_core.E002" in found
    assert "'fakeplugin'" in found["marketplace_core.E002"][0].msg

    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, f"{pkg}.apps.FakeConfig"]):
        install([info])  # installing apps re-runs core's ready(), which rebuilds the manager
        assert "marketplace_core.E002" not in ids()


def test_e002_integrator_may_subclass_the_plugin_app_config(site: FakeSite) -> None:
    pkg = site.add_plugin("fakeplugin")
    site.write_module(
        f"{site.prefix}_project.apps",
        f"""
        from {pkg}.apps import FakeConfig


        class ProjectFakeConfig(FakeConfig):
            verbose_name = "Renamed by the integrator"
        """,
    )
    [info] = load_plugins(["fakeplugin"])

    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, f"{site.prefix}_project.apps.ProjectFakeConfig"]
    ):
        install([info])
        assert "marketplace_core.E002" not in ids()


@pytest.mark.parametrize(
    ("compatibility", "expected"),
    [
        ("marketplace-core>=9.0", "requires marketplace-core>=9.0"),
        ("marketplace-core<0.1", "requires marketplace-core<0.1"),
        ("another-framework>=0.1", "requires another-framework>=0.1"),
        ("marketplace-core >= one point oh", "unreadable"),
        ("", "unreadable"),
    ],
)
def test_e003_plugin_compatibility_must_match_core(
    site: FakeSite, compatibility: str, expected: str
) -> None:
    site.add_plugin("fakeplugin", compatibility=compatibility)
    install(load_plugins(["fakeplugin"]))

    found = messages()

    assert "marketplace_core.E003" in found
    [message] = found["marketplace_core.E003"]
    assert "'fakeplugin'" in message.msg
    assert expected in message.msg


@pytest.mark.parametrize(
    "compatibility",
    ["marketplace-core>=0.1,<0.2", "marketplace_core>=0.1", "Marketplace.Core~=0.1"],
)
def test_e003_absent_for_a_compatible_plugin(site: FakeSite, compatibility: str) -> None:
    site.add_plugin("fakeplugin", compatibility=compatibility)
    install(load_plugins(["fakeplugin"]))

    assert "marketplace_core.E003" not in ids()


def test_e004_payment_provider_must_exist() -> None:
    with override_settings(MARKETPLACE=marketplace(PAYMENT_PROVIDER="paypal")):
        found = messages()
        assert "marketplace_core.E004" in found
        assert "'paypal'" in found["marketplace_core.E004"][0].msg
        assert "dummy" in found["marketplace_core.E004"][0].msg  # lists what is available
    with override_settings(MARKETPLACE=marketplace(PAYMENT_PROVIDER="dummy")):
        assert "marketplace_core.E004" not in ids()


def test_e005_storage_backend_must_exist() -> None:
    with override_settings(MARKETPLACE=marketplace(STORAGE_BACKEND="s3")):
        found = messages()
        assert "marketplace_core.E005" in found
        assert "'s3'" in found["marketplace_core.E005"][0].msg
    with override_settings(MARKETPLACE=marketplace(STORAGE_BACKEND="local")):
        assert "marketplace_core.E005" not in ids()


@pytest.mark.parametrize(
    ("ttl", "wrong"),
    [
        (0, True),
        (-5, True),
        (MAX_DOWNLOAD_LINK_TTL + 1, True),
        ("300", True),
        (300.0, True),
        (True, True),
        (None, True),
        (1, False),
        (300, False),
        (MAX_DOWNLOAD_LINK_TTL, False),
    ],
)
def test_e006_download_link_ttl_must_be_seconds_up_to_seven_days(ttl: Any, wrong: bool) -> None:
    with override_settings(MARKETPLACE=marketplace(DOWNLOAD_LINK_TTL=ttl)):
        assert ("marketplace_core.E006" in ids()) is wrong


@pytest.mark.parametrize(
    ("secret", "wrong"),
    [
        ("short", True),
        ("x" * 15, True),
        (123456789012345678, True),
        ("", False),
        ("x" * 16, False),
        ("a-long-random-maintenance-secret", False),
    ],
)
def test_e008_maintenance_bypass_secret_must_be_long(secret: Any, wrong: bool) -> None:
    with override_settings(MARKETPLACE=marketplace(MAINTENANCE_BYPASS_SECRET=secret)):
        assert ("marketplace_core.E008" in ids()) is wrong


def test_w001_dummy_provider_with_debug_off() -> None:
    with override_settings(DEBUG=False, MARKETPLACE=marketplace(PAYMENT_PROVIDER="dummy")):
        found = messages()
        assert "marketplace_core.W001" in found
        assert isinstance(found["marketplace_core.W001"][0], Warning)
    with override_settings(DEBUG=True, MARKETPLACE=marketplace(PAYMENT_PROVIDER="dummy")):
        assert "marketplace_core.W001" not in ids()


def test_w002_local_downloads_without_debug() -> None:
    allow = marketplace(ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG=True)
    with override_settings(DEBUG=False, MARKETPLACE=allow):
        assert "marketplace_core.W002" in ids()
    with override_settings(DEBUG=True, MARKETPLACE=allow):
        assert "marketplace_core.W002" not in ids()
    with override_settings(
        DEBUG=False, MARKETPLACE=marketplace(ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG=False)
    ):
        assert "marketplace_core.W002" not in ids()


def test_w005_local_storage_in_production_refuses_every_download() -> None:
    with override_settings(DEBUG=False, MARKETPLACE=marketplace()):
        found = messages()
        assert "marketplace_core.W005" in found
        assert "buyers cannot download" in found["marketplace_core.W005"][0].msg
    with override_settings(DEBUG=True, MARKETPLACE=marketplace()):
        assert "marketplace_core.W005" not in ids()
    allow = marketplace(ALLOW_LOCAL_DOWNLOADS_WITHOUT_DEBUG=True)
    with override_settings(DEBUG=False, MARKETPLACE=allow):  # W002 says it instead
        assert "marketplace_core.W005" not in ids()
        assert "marketplace_core.W002" in ids()


def test_w003_unknown_marketplace_key() -> None:
    # A typo of a core key, and options for a plugin that is not enabled.
    with override_settings(MARKETPLACE=marketplace(PAYMENT_PROVDER="dummy", shorturl={})):
        found = messages()
        assert "marketplace_core.W003" in found
        assert "PAYMENT_PROVDER" in found["marketplace_core.W003"][0].msg
        assert "shorturl" in found["marketplace_core.W003"][0].msg
    with override_settings(MARKETPLACE=marketplace(PAYMENT_PROVIDER="dummy", SITE_NAME="Shop")):
        assert "marketplace_core.W003" not in ids()


def test_w003_absent_for_an_enabled_plugins_options(site: FakeSite) -> None:
    site.add_plugin("fakeplugin")
    options = marketplace(PLUGINS=["fakeplugin"], fakeplugin={"OPTION": 1})

    with override_settings(MARKETPLACE=options):  # rebuilds the manager with fakeplugin
        assert "marketplace_core.W003" not in ids()


def test_plugin_check_configuration_messages_reach_manage_py_check(site: FakeSite) -> None:
    site.add_plugin(
        "fakeplugin",
        hooks="""
        from django.core.checks import Error


        @hookimpl
        def check_configuration(app_configs):
            return [Error("fakeplugin is not configured.", id="fakeplugin.E001")]
        """,
    )
    assert "fakeplugin.E001" not in ids()

    install(load_plugins(["fakeplugin"]))

    assert "fakeplugin.E001" in ids()


def test_e009_a_crashing_plugin_check_is_reported_against_its_plugin(site: FakeSite) -> None:
    site.add_plugin(
        "crashy",
        hooks="""
        @hookimpl
        def check_configuration():
            raise KeyError("BOT_TOKEN")
        """,
    )
    install(load_plugins(["crashy"]))
    found = messages()
    assert "marketplace_core.E009" in found
    assert "'crashy'" in found["marketplace_core.E009"][0].msg
    assert "KeyError" in found["marketplace_core.E009"][0].msg


def test_e010_maintenance_middleware_after_authentication() -> None:
    maintenance = "marketplace_core.maintenance.middleware.UnderConstructionMiddleware"
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    others = [m for m in settings.MIDDLEWARE if m not in (maintenance, auth)]
    for wrong in ([*others, maintenance, auth], [*others, maintenance]):
        with override_settings(MIDDLEWARE=wrong):
            assert "marketplace_core.E010" in ids()
    with override_settings(MIDDLEWARE=[*others, auth, maintenance]):
        assert "marketplace_core.E010" not in ids()
    with override_settings(MIDDLEWARE=others):  # maintenance mode not used at all
        assert "marketplace_core.E010" not in ids()


def run_check_command(*args: str) -> str:
    """``manage.py check <args>``'s report (errors make it fail, as on the command line)."""
    out = StringIO()
    try:
        call_command("check", *args, stdout=out, stderr=out)
    except SystemCheckError as failed:
        return str(failed)
    return out.getvalue()


def test_check_tag_security_runs_the_security_checks_and_only_those(site: FakeSite) -> None:
    site.add_plugin(
        "fakeplugin",
        hooks="""
        from django.core.checks import Error


        @hookimpl
        def check_configuration(app_configs):
            return [Error("fakeplugin's webhook secret is missing.", id="fakeplugin.E001")]
        """,
    )
    wrong = marketplace(PLUGINS=["fakeplugin"], MAINTENANCE_BYPASS_SECRET="short",
                        PAYMENT_PROVIDER="dummy", LOGIN_FAILURE_LIMIT=0)

    with override_settings(DEBUG=False, MARKETPLACE=wrong):
        security = run_check_command("--tag", "security")
        deploy = run_check_command("--deploy")
        files = run_check_command("--tag", "files")

    for check_id in ("marketplace_core.E008", "marketplace_core.W001",  # core
                     "marketplace_core.E020",  # accounts: the login limit
                     "fakeplugin.E001"):  # the plugins' own checks
        assert check_id in security, check_id
        assert check_id in deploy, check_id
        assert check_id not in files, check_id
    # Local storage with DEBUG off is about files, not security.
    assert "marketplace_core.W005" in files and "marketplace_core.W005" in deploy
    assert "marketplace_core.W005" not in security
