"""How the command line shows a verification's checks: one line per check, never
truncated (an officer must see the whole reason), then the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from identity.checks import Facts, Report, Status, Verdict

MARKS = {Status.PASS: "[green]pass[/]", Status.FAIL: "[red]FAIL[/]"}


def render_checks(console: Console, report: Report[Facts]) -> None:
    for check in report.checks:
        waived = check.status is Status.NOT_CHECKED and check.name in report.waived
        mark = "[dim]n/a[/] " if waived else MARKS.get(check.status, "[yellow]skip[/]")
        console.print(f"{mark}  [bold]{check.name.value}[/]: {escape(check.reason)}")


def render_report(console: Console, report: Report[Facts]) -> None:
    render_checks(console, report)
    if report.verdict is Verdict.VALID:
        console.print("[green]VALID[/]")
    elif report.verdict is Verdict.INVALID:
        console.print(f"[red]INVALID[/] (failed: {', '.join(report.failed_names())})")
    else:
        skipped = ", ".join(c.name.value for c in report.failures())
        console.print(f"[yellow]UNKNOWN[/] (not checked: {skipped})")


def outcome(report: Report[Facts]) -> str:
    """``valid``, or ``invalid: `` and the failed checks' names."""
    return "valid" if report.valid else "invalid: " + ", ".join(report.failed_names())


__all__ = ["outcome", "render_checks", "render_report"]
