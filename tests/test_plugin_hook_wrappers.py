"""Every hook core calls goes through pluggy: a plugin's hook wrapper and the trace see it.

A fake plugin wraps one or more hooks of each family (``@hookimpl(wrapper=True)``)
and records the calls it sees. Core is then driven through its own code paths
(registries, panels, dashboard, services, events after commit, system checks)
with ``MARKETPLACE_TRACE_HOOKS`` on. Another plugin fails in an event and in a
per-request contribution: it is left out and logged by name, under the wrapper.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client, RequestFactory
from django.urls import reverse

from marketplace_core.accounts.redirects import home_url
from marketplace_core.analytics.series import plugin_series
from marketplace_core.catalog.services import deletion_refusal
from marketplace_core.ownership.models import Order
from marketplace_core.panels.badges import seller_product_badges
from marketplace_core.panels.purchases import owned_products
from marketplace_core.plugins import registry
from marketplace_core.plugins.loading import load_plugins
from marketplace_core.plugins.manager import TRACE_ENV_VAR, install
from marketplace_core.testing.factories import buy, make_product, make_seller, make_user, refund
from marketplace_core.urls import plugin_urlpatterns
from tests.fakeplugins import fake_site, preserved_plugin_manager

pytestmark = pytest.mark.django_db

#: The hooks the fake plugin wraps, by family (hookspecs.py names the families).
FAMILIES = {
    "register_*": ["register_payment_providers", "register_storage_backends",
                   "register_urlpatterns"],
    "*_items / *_actions / contributions": ["product_actions", "seller_product_badges",
                                            "dashboard_series", "head_tags"],
    "resolve_*": ["resolve_home_url"],
    "validate_*": ["validate_product_delete"],
    "events (past tense)": ["ownership_revoked", "checkout_started"],
    "check_*": ["check_configuration"],
}
WRAPPED = [hook for hooks in FAMILIES.values() for hook in hooks]

WATCHER_HOOKS = "from {sink} import seen\n" + "".join(
    f"""

@hookimpl(wrapper=True)
def {hook}():
    seen.append({hook!r})
    return (yield)
"""
    for hook in WRAPPED
)

ANSWERING_HOOKS = """
from django.utils.html import format_html

from marketplace_core.plugins.types import ProductAction
from {sink} import revoked, started


@hookimpl
def product_actions(product):
    return [ProductAction("Answered", "/answered/", key="answered")]


@hookimpl
def head_tags(request):
    return [format_html('<meta name="answered" content="{{}}">', request.path), "<b>plain</b>"]


@hookimpl
def checkout_started(order, request):
    started.append((order.reference, request.path))


@hookimpl
def ownership_revoked(purchase, reason):
    revoked.append((purchase.pk, reason))
"""

FAILING_HOOKS = """
@hookimpl
def product_actions(product):
    raise RuntimeError("no actions today")


@hookimpl
def ownership_revoked(purchase, reason):
    raise RuntimeError("cannot handle the revocation")


@hookimpl
def head_tags(request):
    raise RuntimeError("no head today")


@hookimpl
def checkout_started(order, request):
    raise RuntimeError("cannot start")
"""


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Three plugins, traced: ``fakewatcher`` (wrappers), ``fakeanswering`` and
    ``fakefailing``. Yields the module where they record what they saw."""
    monkeypatch.setenv(TRACE_ENV_VAR, "1")
    with fake_site(tmp_path, monkeypatch) as site, preserved_plugin_manager():
        sink_name = f"{site.prefix}_sink"
        site.write_module(sink_name, "seen = []\nrevoked = []\nstarted = []\n")
        site.add_plugin("fakewatcher", hooks=WATCHER_HOOKS.format(sink=sink_name))
        site.add_plugin("fakeanswering", hooks=ANSWERING_HOOKS.format(sink=sink_name))
        site.add_plugin("fakefailing", hooks=FAILING_HOOKS)
        install(load_plugins(["fakewatcher", "fakeanswering", "fakefailing"]))
        yield importlib.import_module(sink_name)


def _purchase() -> Any:
    return buy(make_user(), make_product(seller=make_seller()))


def _request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def _register_payment_providers() -> None:
    assert "dummy" in registry.payment_providers()


def _register_storage_backends() -> None:
    assert "local" in registry.storage_backends()


def _register_urlpatterns() -> None:
    plugin_urlpatterns()


def _product_actions() -> None:
    purchase = _purchase()
    [row] = owned_products(_request(purchase.buyer), [purchase])
    assert [action.key for action in row.actions] == ["answered"]  # fakefailing left out


def _seller_product_badges() -> None:
    product = make_product()
    assert seller_product_badges(_request(product.seller), [product]) == {product.pk: []}


def _dashboard_series() -> None:
    assert plugin_series(make_seller(), "12m") == []


def _resolve_home_url() -> None:
    assert home_url(make_user()) == reverse("marketplace:my_products")


def _validate_product_delete() -> None:
    product = make_product()
    assert deletion_refusal(product, actor=product.seller) is None


def _ownership_revoked() -> None:
    refund(_purchase())


def _check_configuration() -> None:
    run_checks()


def _head_tags() -> None:
    # The home page is a cached storefront page (the tags fill its shell's marker,
    # twice: rendered, then from the cache); the login page is rendered as usual.
    for path in ("/", "/", reverse("marketplace:login")):
        html = Client().get(path).content.decode()
        head = html[:html.index("</head>")]
        assert f'<meta name="answered" content="{path}">&lt;b&gt;plain&lt;/b&gt;' in head
        assert "mp-head" not in html


def _checkout_started() -> tuple[Order, str]:
    product = make_product(price=500)
    buyer = make_user()
    client = Client()
    client.force_login(buyer)
    path = reverse("marketplace:checkout", kwargs={"slug": product.slug})
    response = client.post(path, {"name": "Bea Buyer", "email": buyer.email, "country": "de"})
    assert response.status_code == 302, response.content  # on to the provider
    return Order.objects.get(buyer=buyer, product=product), path


CALLS: dict[str, Callable[[], object]] = {
    "register_payment_providers": _register_payment_providers,
    "register_storage_backends": _register_storage_backends,
    "register_urlpatterns": _register_urlpatterns,
    "product_actions": _product_actions,
    "seller_product_badges": _seller_product_badges,
    "dashboard_series": _dashboard_series,
    "resolve_home_url": _resolve_home_url,
    "validate_product_delete": _validate_product_delete,
    "ownership_revoked": _ownership_revoked,
    "check_configuration": _check_configuration,
    "head_tags": _head_tags,
    "checkout_started": _checkout_started,
}


def test_every_family_is_covered() -> None:
    assert sorted(CALLS) == sorted(WRAPPED)


@pytest.mark.parametrize("hook", WRAPPED)
def test_a_plugins_hook_wrapper_and_the_trace_see_the_call(
    hook: str, sink: Any, capfd: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    capfd.readouterr()
    with django_capture_on_commit_callbacks(execute=True):
        CALLS[hook]()

    assert hook in sink.seen
    assert f"[marketplace hook] {hook}(" in capfd.readouterr().err


def test_a_failing_event_implementation_is_isolated_and_logged_by_name(
    sink: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    purchase = _purchase()
    capfd.readouterr()
    with (
        caplog.at_level(logging.ERROR, logger="marketplace_core.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        refund(purchase)

    assert sink.seen.count("ownership_revoked") == 1  # the wrapper saw one whole call
    assert sink.revoked == [(purchase.pk, "refund")]  # the plugin after the failing one
    [record] = [r for r in caplog.records if r.name == "marketplace_core.events"]
    assert "'fakefailing'" in record.getMessage()
    assert "ownership_revoked" in record.getMessage()
    assert "cannot handle the revocation" in str(record.exc_info[1])  # type: ignore[index]
    err = capfd.readouterr().err
    assert "[marketplace hook] ownership_revoked(['purchase', 'reason'])" in err
    assert "ownership_revoked: fakefailing raised RuntimeError" in err


def test_a_failing_checkout_started_implementation_is_isolated(
    sink: Any, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="marketplace_core.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order, path = _checkout_started()

    assert sink.seen.count("checkout_started") == 1
    assert sink.started == [(order.reference, path)]  # the plugin after the failing one
    [record] = [r for r in caplog.records if r.name == "marketplace_core.events"]
    assert "'fakefailing'" in record.getMessage()
    assert "checkout_started" in record.getMessage()
