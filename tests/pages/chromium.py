"""Debian's Chromium driven by Playwright (never a downloaded browser), axe-core from the
project's node_modules, and screenshots into the git-ignored test-artifacts folder.

The browser tests are skipped only when no Chromium executable exists; when Chromium is
there but will not start, or axe-core is missing, they fail and say what to do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "pages"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SERIOUS = {"serious", "critical"}
ABSENT = (
    "CHROMIUM IS NOT INSTALLED: the browser tests of the pages are skipped. "
    "Install Debian's chromium: `sudo make system-deps`"
)


def executable() -> str | None:
    """The Chromium to drive: $TDX_CHROMIUM when set (only it), else Debian's on the PATH
    or in /usr/bin."""
    chosen = os.environ.get("TDX_CHROMIUM")
    candidates = [chosen] if chosen is not None else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def axe_source() -> str:
    if not AXE.is_file():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `make tools` (npm install)")
    return AXE.read_text("utf-8")


def serious_violations(page: Any, axe: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA
    and best practices). ``axe`` (its source) is evaluated through the DevTools protocol,
    which the page's Content-Security-Policy does not govern."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe + "\n;0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in SERIOUS]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
