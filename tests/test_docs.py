"""The documentation stays true to the code (after datasette's ``tests/test_docs.py``).

- ``docs/hooks.md`` has a section per hook specification, headed with the hook's
  name, whose first code line is the signature exactly as written in the source,
  under the group of the source's banner section, and which says
  ``firstresult=True`` exactly when the spec is ``firstresult``. No section
  documents a hook that does not exist. Core's specs are read from
  :mod:`marketplace_core.plugins.hookspecs` (the functions carrying pluggy's
  ``marketplace_spec`` marker); plugin-defined specs from
  ``plugins/*/src/*/hookspecs.py`` by parsing the source, since core's tests run
  with no plugin installed.
- ``docs/settings.md`` (or, for a plugin's ids, ``docs/<plugin>.md``) names every
  system check id used in core and the plugins,
  and no id that the code does not use, and every ``MARKETPLACE`` key.

In ``docs/hooks.md`` a hook section is a level-3 heading that is a bare lowercase
identifier (``### product_saved``); other headings are free text.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketplace_core.conf import DEFAULTS
from marketplace_core.plugins import hookspecs
from marketplace_core.plugins.markers import PROJECT_NAME

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HOOKS_MD = DOCS / "hooks.md"
SETTINGS_MD = DOCS / "settings.md"
SPEC_MARKER = f"{PROJECT_NAME}_spec"  # the attribute pluggy's HookspecMarker sets

_HOOK_HEADING = re.compile(r"^###\s+([a-z_][a-z0-9_]*)\s*$")
_CODE_LINE = re.compile(r"^`([^`]+)`\s*$")
_BANNER_RULE = re.compile(r"^# -{10,}\s*$")
_PLUGIN_HOOKS_GROUP = "Hooks defined by plugins"


# -------------------------------------------------------------------------
# what the code says
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    signature: str
    firstresult: bool
    group: str
    source: str


class _Verbatim(str):
    """An annotation string that ``inspect`` prints as written (no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def _verbatim(annotation: object) -> object:
    return _Verbatim(annotation) if isinstance(annotation, str) else annotation


def _signature_from_function(function: object) -> str:
    """``name(param: Annotation, ...) -> Return`` with annotations as written.

    ``hookspecs`` uses ``from __future__ import annotations``, so every
    annotation is the source text; ``inspect`` would quote it, so it is wrapped.
    """
    signature = inspect.signature(function)  # type: ignore[arg-type]
    signature = signature.replace(
        parameters=[p.replace(annotation=_verbatim(p.annotation))
                    for p in signature.parameters.values()],
        return_annotation=_verbatim(signature.return_annotation),
    )
    return f"{function.__name__}{signature}"  # type: ignore[attr-defined]


def _banner_groups(source: str) -> dict[int, str]:
    """Line number (1-based) where each banner section starts → its title.

    A banner is ``# ----`` / ``# title`` / ``# ----`` (pytest's hookspec.py style).
    """
    lines = source.splitlines()
    groups: dict[int, str] = {}
    for i in range(len(lines) - 2):
        if _BANNER_RULE.match(lines[i]) and _BANNER_RULE.match(lines[i + 2]):
            title = lines[i + 1].lstrip("#").strip()
            if title:
                groups[i + 1] = title
    return groups


def _group_at(groups: dict[int, str], line: int) -> str:
    found = ""
    for start, title in sorted(groups.items()):
        if start <= line:
            found = title
    return found


def core_specs() -> dict[str, Spec]:
    source_file = inspect.getsourcefile(hookspecs)
    assert source_file is not None
    groups = _banner_groups(Path(source_file).read_text())
    specs: dict[str, Spec] = {}
    for name, function in vars(hookspecs).items():
        options = getattr(function, SPEC_MARKER, None)
        if not callable(function) or options is None:
            continue
        line = inspect.getsourcelines(function)[1]
        specs[name] = Spec(
            name=name,
            signature=_signature_from_function(function),
            firstresult=bool(options.get("firstresult")),
            group=_group_at(groups, line),
            source="marketplace_core.plugins.hookspecs",
        )
    return specs


def _is_hookspec_decorator(node: ast.expr) -> tuple[bool, bool]:
    """(is ``@hookspec``/``@hookspec(...)``, its ``firstresult`` value)."""
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call is not None else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    if name != "hookspec":
        return False, False
    firstresult = False
    for keyword in call.keywords if call is not None else []:
        if keyword.arg == "firstresult" and isinstance(keyword.value, ast.Constant):
            firstresult = bool(keyword.value.value)
    return True, firstresult


def plugin_specs() -> dict[str, Spec]:
    """Hook specs plugins define, read from their source (plugins need not be installed)."""
    specs: dict[str, Spec] = {}
    for path in sorted(ROOT.glob("plugins/*/src/*/hookspecs.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            marks = [_is_hookspec_decorator(d) for d in node.decorator_list]
            if not any(is_spec for is_spec, _ in marks):
                continue
            returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
            specs[node.name] = Spec(
                name=node.name,
                signature=f"{node.name}({ast.unparse(node.args)}){returns}",
                firstresult=any(first for _, first in marks),
                group=_PLUGIN_HOOKS_GROUP,
                source=str(path.relative_to(ROOT)),
            )
    return specs


CORE_SPECS = core_specs()
PLUGIN_SPECS = plugin_specs()
ALL_SPECS = {**CORE_SPECS, **PLUGIN_SPECS}


# -------------------------------------------------------------------------
# what the docs say
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentedHook:
    name: str
    signature: str | None
    group: str
    body: str


def _markdown_lines(text: str) -> list[tuple[str, bool]]:
    """Each line with whether it is inside a fenced code block."""
    result: list[tuple[str, bool]] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            result.append((line, True))
            continue
        result.append((line, fenced))
    return result


def documented_hooks(text: str) -> dict[str, DocumentedHook]:
    hooks: dict[str, DocumentedHook] = {}
    group = ""
    current: str | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        signature = None
        for line in body:
            if line.strip():
                match = _CODE_LINE.match(line.strip())
                signature = match.group(1) if match else None
                break
        assert current not in hooks, f"docs/hooks.md documents {current!r} twice"
        hooks[current] = DocumentedHook(current, signature, group_of_current, "\n".join(body))

    group_of_current = ""
    for line, fenced in _markdown_lines(text):
        heading = None if fenced else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            level = len(heading.group(1))
            if level <= 3:
                close()
                current, body = None, []
            if level == 2:
                group = heading.group(2)
            hook = _HOOK_HEADING.match(line)
            if hook:
                current, group_of_current = hook.group(1), group
            continue
        if current is not None:
            body.append(line)
    close()
    return hooks


@pytest.fixture(scope="module")
def hooks_doc() -> dict[str, DocumentedHook]:
    return documented_hooks(HOOKS_MD.read_text())


@pytest.fixture(scope="module")
def settings_doc() -> str:
    return SETTINGS_MD.read_text()


# -------------------------------------------------------------------------
# the hook reference
# -------------------------------------------------------------------------


def test_core_hookspecs_are_found():
    # Guards the marker lookup: if pluggy renamed its attribute, every other
    # test here would pass vacuously.
    assert {"product_saved", "resolve_download", "check_configuration"} <= CORE_SPECS.keys()


@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_hook_is_documented_with_its_signature(name, hooks_doc):
    spec = ALL_SPECS[name]
    assert name in hooks_doc, (
        f"Hook {name!r} ({spec.source}) has no section in docs/hooks.md: add a heading "
        f"'### {name}' followed by the line `{spec.signature}`."
    )
    documented = hooks_doc[name]
    assert documented.signature == spec.signature, (
        f"docs/hooks.md documents {name!r} as `{documented.signature}`, but the source "
        f"({spec.source}) says `{spec.signature}`."
    )


@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_hook_is_documented_in_its_group(name, hooks_doc):
    spec = ALL_SPECS[name]
    if name not in hooks_doc:
        pytest.fail(f"Hook {name!r} is not documented in docs/hooks.md")
    documented = hooks_doc[name]
    assert documented.group.lower() == spec.group.lower(), (
        f"docs/hooks.md lists {name!r} under '## {documented.group}', but the source "
        f"({spec.source}) puts it in the section {spec.group!r}."
    )


@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_hook_firstresult_is_documented(name, hooks_doc):
    spec = ALL_SPECS[name]
    if name not in hooks_doc:
        pytest.fail(f"Hook {name!r} is not documented in docs/hooks.md")
    says_firstresult = "firstresult=True" in hooks_doc[name].body
    assert says_firstresult == spec.firstresult, (
        f"Hook {name!r} is {'' if spec.firstresult else 'not '}firstresult in {spec.source}; "
        f"its section in docs/hooks.md must {'' if spec.firstresult else 'not '}"
        "say `firstresult=True`."
    )


def test_no_unknown_hooks_documented(hooks_doc):
    unknown = sorted(set(hooks_doc) - set(ALL_SPECS))
    assert not unknown, f"docs/hooks.md documents hooks that no hookspec declares: {unknown}"


def test_parser_sees_signature_lines():
    text = (
        "## Catalog\n\n### product_saved\n\n`product_saved(product: Product) -> None`\n\n"
        "```python\n### not_a_hook\n```\n\n### Call order\n\ntext\n"
    )
    hooks = documented_hooks(text)
    assert list(hooks) == ["product_saved"]
    assert hooks["product_saved"].signature == "product_saved(product: Product) -> None"
    assert hooks["product_saved"].group == "Catalog"


# -------------------------------------------------------------------------
# the settings reference
# -------------------------------------------------------------------------


def _plugin_names() -> list[str]:
    return sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())


def check_ids_in_code() -> dict[str, str]:
    """Every system check id string in core's and the plugins' sources → file."""
    prefixes = "|".join(re.escape(n) for n in ["marketplace_core", *_plugin_names()])
    pattern = re.compile(rf"""["']((?:{prefixes})\.[CEWI]\d{{3}})["']""")
    files = [
        *sorted((ROOT / "src" / "marketplace_core").rglob("*.py")),
        *sorted(ROOT.glob("plugins/*/src/**/*.py")),
    ]
    found: dict[str, str] = {}
    for path in files:
        if "testing" in path.relative_to(ROOT).parts:
            continue
        for check_id in pattern.findall(path.read_text()):
            found.setdefault(check_id, str(path.relative_to(ROOT)))
    return found


CHECK_IDS = check_ids_in_code()


def test_check_ids_are_found():
    assert {"marketplace_core.E001", "payments_dodo.E001"} <= CHECK_IDS.keys()


def _check_docs(settings_doc: str) -> dict[str, str]:
    """Where check ids may be documented: the settings reference, and a plugin's
    own page ``docs/<plugin name>.md`` for that plugin's ids."""
    pages = {"settings.md": settings_doc}
    for name in _plugin_names():
        page = DOCS / f"{name}.md"
        if page.exists():
            pages[page.name] = page.read_text()
    return pages


@pytest.mark.parametrize("check_id", sorted(CHECK_IDS))
def test_check_id_is_documented(check_id, settings_doc):
    pages = _check_docs(settings_doc)
    own_page = f"{check_id.split('.')[0]}.md"
    assert f"`{check_id}`" in settings_doc or f"`{check_id}`" in pages.get(own_page, ""), (
        f"System check {check_id} ({CHECK_IDS[check_id]}) is missing from docs/settings.md "
        f"and docs/{own_page}."
    )


def test_no_stale_check_ids_documented(settings_doc):
    prefixes = "|".join(re.escape(n) for n in ["marketplace_core", *_plugin_names()])
    for page, text in _check_docs(settings_doc).items():
        documented = set(re.findall(rf"`((?:{prefixes})\.[CEWI]\d{{3}})`", text))
        stale = sorted(documented - set(CHECK_IDS))
        assert not stale, f"docs/{page} documents check ids the code no longer uses: {stale}"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_marketplace_setting_is_documented(key, settings_doc):
    assert f"`{key}`" in settings_doc, f"MARKETPLACE[{key!r}] is missing from docs/settings.md."
