"""Real, on-disk fake plugin distributions for the plugin-machinery tests.

A :class:`FakeSite` is a folder on ``sys.path`` holding plugin packages and
``<dist>-<version>.dist-info`` folders (``METADATA`` + ``entry_points.txt`` in
the ``marketplace.plugins`` group), exactly what ``pip install`` leaves behind.
Discovery therefore goes through the real ``importlib.metadata`` and stevedore
code paths; nothing of ours is mocked.

Package names get a random prefix so modules imported by one test never leak
into another through ``sys.modules``; :meth:`FakeSite.close` removes them.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from marketplace_core.plugins.metadata import ENTRY_POINT_GROUP

COMPATIBLE = "marketplace-core>=0.1,<0.2"


class FakeSite:
    """Writes fake plugin distributions into ``root`` (which is on ``sys.path``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"fake{uuid.uuid4().hex[:8]}"

    def package(self, name: str) -> str:
        """The import package of fake plugin ``name`` (unique to this site)."""
        return f"{self.prefix}_{name}"

    def write_module(self, dotted: str, source: str) -> None:
        """Write module ``dotted`` (creating its packages) with ``source``."""
        parts = dotted.split(".")
        folder = self.root
        for part in parts[:-1]:
            folder = folder / part
            folder.mkdir(exist_ok=True)
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("")
        (folder / f"{parts[-1]}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()

    def write_distribution(self, dist: str, version: str, entry_points: dict[str, str]) -> Path:
        """A ``.dist-info`` folder declaring ``entry_points`` (name -> target)."""
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        importlib.invalidate_caches()
        return info

    def add_plugin(
        self,
        name: str,
        *,
        hooks: str = "",
        hookspecs: str | None = None,
        info_name: str | None = None,
        url_prefix: str | None = None,
        compatibility: str = COMPATIBLE,
        plugin_module: str | None = None,
        entry_point: str | None = None,
        dist: str | None = None,
        version: str = "0.1",
    ) -> str:
        """Write and "install" plugin ``name``; returns its import package.

        ``hooks``/``hookspecs`` are module sources (``hookimpl``/``hookspec``
        are imported for them). ``plugin_module`` replaces the generated
        ``plugin.py`` and ``entry_point`` the entry-point target, to build
        broken plugins.
        """
        pkg = self.package(name)
        self.write_module(f"{pkg}.__init__", "")
        self.write_module(
            f"{pkg}.apps",
            f"""
            from django.apps import AppConfig


            class FakeConfig(AppConfig):
                name = {pkg!r}
                label = {name!r}
            """,
        )
        header = "from marketplace_core import hookimpl, hookspec  # noqa: F401\n"
        self.write_module(f"{pkg}.hooks", header + textwrap.dedent(hooks))
        if hookspecs is not None:
            self.write_module(f"{pkg}.hookspecs", header + textwrap.dedent(hookspecs))
        if plugin_module is None:
            specs_path = f"{pkg}.hookspecs" if hookspecs is not None else None
            plugin_module = f"""
            from marketplace_core import PluginInfo

            plugin = PluginInfo(
                name={info_name or name!r},
                verbose_name={name.title()!r},
                version={version!r},
                compatibility={compatibility!r},
                app="{pkg}.apps.FakeConfig",
                hooks="{pkg}.hooks",
                hookspecs={specs_path!r},
                url_prefix={url_prefix!r},
            )
            """
        self.write_module(f"{pkg}.plugin", plugin_module)
        self.write_distribution(
            dist or f"fake-{name.replace('_', '-')}",
            version,
            {name: entry_point or f"{pkg}.plugin:plugin"},
        )
        return pkg

    def module(self, name: str, submodule: str = "hooks") -> object:
        """The imported ``<package>.<submodule>`` of fake plugin ``name``."""
        return importlib.import_module(f"{self.package(name)}.{submodule}")

    def close(self) -> None:
        for module_name in [m for m in sys.modules if m.startswith(self.prefix)]:
            del sys.modules[module_name]
        importlib.invalidate_caches()


@contextmanager
def fake_site(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    """A :class:`FakeSite` on ``sys.path`` for the duration of the block."""
    site = FakeSite(root)
    monkeypatch.syspath_prepend(str(root))
    try:
        yield site
    finally:
        site.close()


@contextmanager
def preserved_plugin_manager() -> Iterator[None]:
    """Put back the process-wide plugin manager (and registries) after the block."""
    from marketplace_core.plugins import manager, registry

    saved = (manager._manager, manager._enabled)
    try:
        yield
    finally:
        manager._manager, manager._enabled = saved
        registry.clear()
