"""How core calls plugins: order, validation at start-up, plugin hookspecs, tracing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.urls import reverse

from marketplace_core.exceptions import PluginError
from marketplace_core.plugins import manager
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import (
    CORE_PLUGIN_NAME,
    TRACE_ENV_VAR,
    build_plugin_manager,
    get_plugin_manager,
    install,
)
from tests.fakeplugins import FakeSite, fake_site, preserved_plugin_manager

CUSTOMER = SimpleNamespace(is_seller=False, is_authenticated=True)


def answering_plugin(site: FakeSite, name: str, home: str | None) -> None:
    """A plugin answering ``resolve_home_url`` with ``home`` and adding one nav item."""
    site.add_plugin(
        name,
        hooks=f"""
        from marketplace_core.plugins.types import NavItem


        @hookimpl
        def resolve_home_url(user):
            return {home!r}


        @hookimpl
        def nav_items(request, area):
            # A high order so sorting alone would put it last: call order is what we see.
            return [NavItem({name!r}, "/{name}/", 900, {name!r})]
        """,
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    with fake_site(tmp_path, monkeypatch) as s, preserved_plugin_manager():
        yield s


def test_first_listed_plugin_answers_first_and_core_last(site: FakeSite) -> None:
    answering_plugin(site, "fakealpha", "/alpha/")
    answering_plugin(site, "fakebeta", "/beta/")

    pm = build_plugin_manager(load_plugins(["fakealpha", "fakebeta"]))
    assert pm.hook.resolve_home_url(user=CUSTOMER) == "/alpha/"

    pm = build_plugin_manager(load_plugins(["fakebeta", "fakealpha"]))
    assert pm.hook.resolve_home_url(user=CUSTOMER) == "/beta/"


def test_core_default_answers_when_every_plugin_abstains(site: FakeSite) -> None:
    answering_plugin(site, "fakealpha", None)

    pm = build_plugin_manager(load_plugins(["fakealpha"]))

    assert pm.hook.resolve_home_url(user=CUSTOMER) == reverse("marketplace:my_products")


def test_collecting_hook_gathers_in_settings_order_with_core_last(site: FakeSite) -> None:
    answering_plugin(site, "fakealpha", None)
    answering_plugin(site, "fakebeta", None)
    request = RequestFactory().get("/")

    pm = build_plugin_manager(load_plugins(["fakebeta", "fakealpha"]))
    groups = pm.hook.nav_items(request=request, area="main")

    assert [item.key for group in groups for item in group] == [
        "fakebeta",
        "fakealpha",
        "products",
    ]


def test_hookimpl_without_a_spec_fails_at_build_naming_the_plugin(site: FakeSite) -> None:
    site.add_plugin(
        "fakestray",
        hooks="""
        @hookimpl
        def produkt_saved(product, created):  # a typo of product_saved
            pass
        """,
    )

    with pytest.raises(PluginError) as excinfo:
        build_plugin_manager(load_plugins(["fakestray"]))

    assert "'fakestray'" in str(excinfo.value)
    assert "produkt_saved" in str(excinfo.value)


def test_hookimpl_with_a_wrong_argument_fails_at_build_naming_the_plugin(site: FakeSite) -> None:
    site.add_plugin(
        "fakewrongarg",
        hooks="""
        @hookimpl
        def resolve_home_url(usr):
            return "/"
        """,
    )

    with pytest.raises(PluginError) as excinfo:
        build_plugin_manager(load_plugins(["fakewrongarg"]))

    assert "'fakewrongarg'" in str(excinfo.value)
    assert "usr" in str(excinfo.value)


def test_hooks_module_that_cannot_import_names_the_plugin(site: FakeSite) -> None:
    site.add_plugin("fakebadhooks", hooks="import fake_missing_dependency\n")
    [info] = load_plugins(["fakebadhooks"])  # metadata alone imports fine

    with pytest.raises(PluginError) as excinfo:
        build_plugin_manager([info])

    assert "'fakebadhooks'" in str(excinfo.value)
    assert "fake_missing_dependency" in str(excinfo.value)


def test_hookspecs_module_without_specs_names_the_plugin(site: FakeSite) -> None:
    site.add_plugin("fakenospecs", hookspecs="def not_a_spec(): pass\n")

    with pytest.raises(PluginError, match="'fakenospecs'"):
        build_plugin_manager(load_plugins(["fakenospecs"]))


def test_plugin_may_not_take_cores_name() -> None:
    from marketplace_core.plugins.metadata import PluginInfo

    impostor = PluginInfo(
        name=CORE_PLUGIN_NAME,
        verbose_name="Impostor",
        version="1",
        compatibility="marketplace-core>=0.1",
        app="impostor",
        hooks="marketplace_core.plugins.types",
    )

    with pytest.raises(PluginError, match=CORE_PLUGIN_NAME):
        build_plugin_manager([impostor])


SPEC_PLUGIN_HOOKSPECS = """
@hookspec
def fake_ticket_opened(ticket: str) -> None:
    '''A ticket was opened (event).'''
"""

LISTENER_HOOKS = """
RECEIVED = []


@hookimpl(optionalhook=True)
def fake_ticket_opened(ticket):
    RECEIVED.append(ticket)
"""


def test_plugin_defined_hookspec_is_implemented_by_another_plugin(site: FakeSite) -> None:
    site.add_plugin(
        "fakespecs",
        hookspecs=SPEC_PLUGIN_HOOKSPECS,
        hooks="""
        @hookimpl
        def fake_ticket_opened(ticket):
            pass
        """,
    )
    site.add_plugin("fakelistener", hooks=LISTENER_HOOKS)

    # The listener is listed first although the spec comes from the plugin after it.
    pm = build_plugin_manager(load_plugins(["fakelistener", "fakespecs"]))
    pm.hook.fake_ticket_opened(ticket="T-1")

    assert site.module("fakelistener").RECEIVED == ["T-1"]  # type: ignore[attr-defined]


def test_optional_implementation_loads_without_the_spec_plugin(site: FakeSite) -> None:
    site.add_plugin("fakespecs", hookspecs=SPEC_PLUGIN_HOOKSPECS)
    site.add_plugin("fakelistener", hooks=LISTENER_HOOKS)

    pm = build_plugin_manager(load_plugins(["fakelistener"]))

    assert pm.get_plugin("fakelistener") is not None


def test_non_optional_implementation_of_an_absent_spec_fails(site: FakeSite) -> None:
    site.add_plugin("fakespecs", hookspecs=SPEC_PLUGIN_HOOKSPECS)
    site.add_plugin(
        "fakestrict",
        hooks=LISTENER_HOOKS.replace("@hookimpl(optionalhook=True)", "@hookimpl"),
    )

    with pytest.raises(PluginError, match="'fakestrict'"):
        build_plugin_manager(load_plugins(["fakestrict"]))


def test_install_is_idempotent_and_rebuilds_only_for_other_plugins(site: FakeSite) -> None:
    answering_plugin(site, "fakealpha", "/alpha/")
    answering_plugin(site, "fakebeta", "/beta/")

    first = install(load_plugins(["fakealpha"]))
    again = install(load_plugins(["fakealpha"]))
    assert again is first
    assert get_plugin_manager() is first
    assert [info.name for info in manager.enabled_plugins()] == ["fakealpha"]

    other = install(load_plugins(["fakebeta", "fakealpha"]))
    assert other is not first
    assert get_plugin_manager().hook.resolve_home_url(user=CUSTOMER) == "/beta/"
    assert [info.name for info in manager.enabled_plugins()] == ["fakebeta", "fakealpha"]


def test_failed_install_keeps_the_working_manager(site: FakeSite) -> None:
    answering_plugin(site, "fakealpha", "/alpha/")
    site.add_plugin("fakestray", hooks="@hookimpl\ndef not_a_hook(): pass\n")
    working = install(load_plugins(["fakealpha"]))

    with pytest.raises(PluginError):
        install(load_plugins(["fakealpha", "fakestray"]))

    assert get_plugin_manager() is working
    assert [info.name for info in manager.enabled_plugins()] == ["fakealpha"]


def test_trace_env_var_writes_hook_calls_to_stderr(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    answering_plugin(site, "fakealpha", "/alpha/")
    monkeypatch.setenv(TRACE_ENV_VAR, "1")

    pm = build_plugin_manager(load_plugins(["fakealpha"]))
    capfd.readouterr()
    pm.hook.resolve_home_url(user=CUSTOMER)

    err = capfd.readouterr().err
    assert "resolve_home_url" in err
    assert "fakealpha" in err and CORE_PLUGIN_NAME in err
    assert "'/alpha/'" in err


@pytest.mark.parametrize("value", ["", "0", "false", "False", "no", "off"])
def test_tracing_stays_off_unless_asked(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    answering_plugin(site, "fakealpha", "/alpha/")
    monkeypatch.setenv(TRACE_ENV_VAR, value)

    pm = build_plugin_manager(load_plugins(["fakealpha"]))
    capfd.readouterr()
    pm.hook.resolve_home_url(user=CUSTOMER)

    assert "resolve_home_url" not in capfd.readouterr().err


def test_a_hook_module_is_registered_once(site: FakeSite) -> None:
    """Two plugins naming the same hooks module would run every hook twice."""
    pkg = site.add_plugin("fakealpha")
    site.add_plugin("fakecopy", plugin_module=f"""
from marketplace_core import PluginInfo

plugin = PluginInfo(name="fakecopy", verbose_name="Copy", version="0.1",
                    compatibility="marketplace-core>=0.1,<0.2", app="{pkg}.apps.FakeConfig",
                    hooks="{pkg}.hooks")
""")

    with pytest.raises(PluginError, match=r"'fakealpha'.*already registered as plugin 'fakecopy'"):
        build_plugin_manager(load_plugins(["fakealpha", "fakecopy"]))


def test_call_refuses_a_plugin_registered_behind_the_managers_back(site: FakeSite) -> None:
    """Its failures could not be isolated nor its answers attributed: say so."""
    from marketplace_core.plugins.manager import call

    answering_plugin(site, "fakealpha", "/alpha/")
    pm = install(load_plugins([]))
    pm.register(site.module("fakealpha"), name="fakealpha")

    with pytest.raises(PluginError, match=r"'fakealpha' was registered with pm\.register"):
        call("nav_items", {"request": RequestFactory().get("/"), "area": "main"})
