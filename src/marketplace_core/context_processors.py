"""Template context: site name and navigation contributed through ``nav_items``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace_core.conf import conf
from marketplace_core.plugins.manager import get_plugin_manager
from marketplace_core.plugins.types import NavItem


class Navigation:
    """``{{ nav.main }}``, ``{{ nav.account }}``...: computed once per area per request."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._cache: dict[str, list[NavItem]] = {}

    def __getattr__(self, area: str) -> list[NavItem]:
        if area.startswith("_"):
            raise AttributeError(area)
        if area not in self._cache:
            groups = get_plugin_manager().hook.nav_items(request=self._request, area=area)
            items = [item for group in groups for item in (group or [])]
            self._cache[area] = sorted(items, key=lambda item: (item.order, item.label))
        return self._cache[area]


def marketplace(request: HttpRequest) -> dict[str, Any]:
    # account_pages: whether core's login/registration pages answer (links to them).
    # marketplace_base_template: what marketplace_core/base.html extends (None: core's layout).
    return {"nav": Navigation(request), "site_name": conf.SITE_NAME,
            "account_pages": conf.ACCOUNT_PAGES,
            "marketplace_base_template": conf.BASE_TEMPLATE}
