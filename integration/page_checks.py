"""What every page of the sweep must pass in a real browser: no horizontal overflow
at the viewport's width and no serious or critical axe-core violation.

axe-core is the npm package, fetched at install time by ``python3 dev.py test``
(:data:`AXE_CORE_PACKAGE`, into the git-ignored ``.test-deps/``) and injected into
each page by Playwright. A missing file fails the test with the command that
fetches it; it never skips. ``MARKETPLACE_AXE_CORE`` points at another copy of
``axe.min.js``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The pinned npm package; dev.py reads this line to fetch it.
AXE_CORE_PACKAGE = "axe-core@4.14.1"
TEST_DEPS = ROOT / ".test-deps"
FETCH_AXE = f"npm install --prefix {TEST_DEPS} --no-save {AXE_CORE_PACKAGE}"

#: Impacts the sweep refuses (axe's four levels: minor, moderate, serious, critical).
REFUSED_IMPACTS = ("serious", "critical")

# What makes the page wider than the viewport (for the failure message): elements that
# stick out past its right edge, unless a clipping or scrolling ancestor that fits the
# viewport holds them (a table in its .table-scroll wrapper).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') {
        return up.getBoundingClientRect().right <= width + 1;
      }
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  // Boxes past the edge, and boxes whose content spills out of them (a long word in a
  // flex item); only the innermost of each nest is named.
  const culprits = Array.from(document.body.querySelectorAll('*')).filter((el) => !clipped(el)
    && (el.getBoundingClientRect().right > width + 1
        || (getComputedStyle(el).overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1
            && el.clientWidth > 0)));
  const innermost = (el) => !culprits.some((other) => other !== el && el.contains(other));
  const wide = culprits.filter(innermost)
    .map((el) => name(el) + ' (' + Math.round(el.getBoundingClientRect().right) + ' px, content '
         + el.scrollWidth + ' px)');
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
}"""

AXE_RUN_JS = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
  }));
}"""


def axe_core_script() -> Path:
    """``axe.min.js`` of the pinned package; :class:`AssertionError` naming the fetch
    command when it is missing (the sweep never skips)."""
    path = Path(os.environ.get("MARKETPLACE_AXE_CORE")
                or TEST_DEPS / "node_modules" / "axe-core" / "axe.min.js")
    if not path.is_file():
        raise AssertionError(
            f"axe-core is not installed ({path} is missing): run `python3 dev.py test`, which "
            f"fetches it, or `{FETCH_AXE}`.")
    return path


@dataclass(frozen=True)
class Overflow:
    """The document's scroll width and up to five elements that stick out."""

    scroll_width: int
    wide: list[str]


def overflow(page: Any) -> Overflow:
    """How wide the page's document is, and what makes it wider than the viewport
    (elements inside a scrolling container, such as a table wrapper, do not count)."""
    found = page.evaluate(OVERFLOW_JS)
    return Overflow(scroll_width=int(found["scrollWidth"]), wide=list(found["wide"]))


def axe_violations(page: Any) -> list[str]:
    """The serious and critical axe-core violations on the page, each as
    ``rule-id (impact): help -> target, target``: empty when there is none."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_core_script()))
    found = page.evaluate(AXE_RUN_JS, list(REFUSED_IMPACTS))
    return [f"{v['id']} ({v['impact']}): {v['help']} -> {', '.join(v['targets'])}"
            for v in found]
