"""How the command line shows a verification's checks: one line per check, never
truncated (an officer must see the whole reason), then the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from identity.checks import Facts, Report, Status

MARKS = {Status.PASS: "[green]pass[/]", Status.FAIL: "[red]FAIL[/]"}


def render_checks(console: Console, report: Report[Facts]) -> None:
    for check in report.checks:
        mark = MARKS.get(check.status, "[yellow]skip[/]")
        console.print(f"{mark}  [bold]{check.name.value}[/]: {escape(check.reason)}")


def render_report(console: Console, report: Report[Facts]) -> None:
    render_checks(console, report)
    failed = ", ".join(report.failed_names())
    verdict = "[green]VALID[/]" if report.valid else f"[red]INVALID[/] (failed: {failed})"
    console.print(verdict)


def outcome(report: Report[Facts]) -> str:
    """``valid``, or ``invalid: `` and the failed checks' names."""
    return "valid" if report.valid else "invalid: " + ", ".join(report.failed_names())


__all__ = ["outcome", "render_checks", "render_report"]
