"""axe-core, the accessibility engine, run in a page: WCAG 2.1 A and AA rules.

`make browser` installs axe-core from npm into the ignored `.axe/` folder.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_server import ROOT
from playwright.sync_api import Page

AXE_JS = ROOT / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  });
  return result.violations;
}"""


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """The WCAG 2.1 AA violations of the page as it is now, of the given impacts."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make browser` (npm install into .axe/).")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(RUN_AXE, WCAG_21_AA)
    return [v for v in found if v["impact"] in impacts]


def describe(found: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, and the first elements with why."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)")
        for node in v["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(node['target'])}: {summary[:300]}")
    return "\n".join(lines)
