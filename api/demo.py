"""The demo story, the project's main job: a corridor's documents signed and verified.

It runs on its own temporary home unless ``--home`` is given, prints each step as it goes,
and ends with a summary table. It succeeds only if every step gave the expected result,
including the failures it provokes on purpose (a tampered copy, a wrong role, a revoked
signer). It grows into the full HTTP-driven corridor story as the node gains a ledger.
"""

from __future__ import annotations

import copy
import datetime
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chaincode.documents.registry import DocumentKind, validate_document
from identity.checks import Report, Status
from network import signed_document
from network.home import Home, init_demo
from network.verifier import Verifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# (kind, example file, issuing organisation)
STORY = (
    (DocumentKind.CO, "co_cn_sg.json", "cn-gacc"),
    (DocumentKind.EBL, "ebl_cnsha_sgsin.json", "cn-cosco"),
    (DocumentKind.PHYTO, "phyto_cn_kz_apples.json", "cn-gacc"),
    (DocumentKind.RAIL, "rail_chongqing_almaty.json", "cn-railway"),
)


@dataclass
class Step:
    title: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def render_report(console: Console, report: Report) -> None:
    """One line per check, never truncated: an officer must see the whole reason."""
    marks = {Status.PASS: "[green]pass[/]", Status.FAIL: "[red]FAIL[/]"}
    for check in report.checks:
        mark = marks.get(check.status, "[yellow]skip[/]")
        console.print(f"{mark}  [bold]{check.name}[/]: {escape(check.reason)}")
    failed = ", ".join(c.name for c in report.checks if c.status is Status.FAIL)
    verdict = "[green]VALID[/]" if report.valid else f"[red]INVALID[/] (failed: {failed})"
    console.print(verdict)


def _outcome(report: Report) -> str:
    failed = [c.name for c in report.checks if c.status is Status.FAIL]
    return "valid" if report.valid else "invalid: " + ", ".join(failed)


def _tamper(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Change the first string value found (depth first) and say where."""
    changed = copy.deepcopy(document)

    def walk(node: Any, path: str) -> str | None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            here = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
            if isinstance(value, str) and value:
                node[key] = value + " (altered)"
                return here
            if isinstance(value, dict | list):
                found = walk(value, here)
                if found:
                    return found
        return None

    where = walk(changed, "$") or "$"
    return changed, where


class _Story:
    def __init__(self, home: Home, console: Console, quiet: bool) -> None:
        self.home = home
        self.console = console
        self.quiet = quiet
        self.steps: list[Step] = []

    def say(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text)

    def verify(self, envelope: signed_document.Envelope) -> Report:
        verifier = Verifier(self.home.trust_list(), self.home.revocation_lists())
        data = json.dumps(envelope.to_json()).encode()
        return verifier.verify(data, datetime.datetime.now(datetime.UTC))

    def record(self, title: str, expected: str, report: Report) -> None:
        step = Step(title, expected, _outcome(report))
        self.steps.append(step)
        mark = "[green]ok[/]" if step.ok else "[red]UNEXPECTED[/]"
        self.say(f"  {mark}  {title}: {step.actual}")

    def run(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        envelopes: dict[DocumentKind, signed_document.Envelope] = {}
        self.say("[bold]1. Issuers sign their documents[/]")
        for kind, filename, org in STORY:
            doc = validate_document(kind, (EXAMPLES / filename).read_bytes())
            envelopes[kind] = signed_document.sign(self.home, org, doc, now)
            self.say(f"  {org} signs {kind.value} {filename}: {doc.digest}")

        self.say("[bold]2. A foreign verifier checks each signed document[/]")
        for kind, _, org in STORY:
            report = self.verify(envelopes[kind])
            self.record(f"{kind.value} signed by {org}", "valid", report)

        self.say("[bold]3. What must fail, fails with the right check named[/]")
        co = envelopes[DocumentKind.CO]
        tampered_doc, where = _tamper(co.document)
        tampered = signed_document.Envelope(co.kind, tampered_doc, co.signature)
        self.record(f"CO with {where} altered", "invalid: integrity", self.verify(tampered))

        co_doc = validate_document(DocumentKind.CO, co.document)
        by_carrier = signed_document.sign(self.home, "cn-cosco", co_doc, now)
        self.record("CO signed by a carrier", "invalid: role-for-type", self.verify(by_carrier))

        # Revocation is judged at the signing time: a second either side of it.
        revoked_at = self.home.revoke("cn-ccpit", now, now)
        self.say(f"  (the CN root revokes cn-ccpit from {revoked_at.isoformat()})")
        second = datetime.timedelta(seconds=1)
        before = signed_document.sign(self.home, "cn-ccpit", co_doc, revoked_at - second)
        after = signed_document.sign(self.home, "cn-ccpit", co_doc, revoked_at + second)
        self.record("CO signed by CCPIT before its revocation", "valid", self.verify(before))
        self.record(
            "CO signed by CCPIT after its revocation", "invalid: revocation", self.verify(after)
        )

    def summary(self) -> None:
        table = Table("step", "expected", "actual", "ok")
        for s in self.steps:
            table.add_row(s.title, s.expected, s.actual, "[green]yes[/]" if s.ok else "[red]NO[/]")
        self.console.print(table)


def run(home_dir: Path | None, console: Console, as_json: bool) -> bool:
    """Run the story; True if every step gave the expected result."""
    with tempfile.TemporaryDirectory(prefix="tdx-demo-") as tmp:
        path = home_dir or Path(tmp) / "home"
        home = Home(path)
        if not home.exists():
            init_demo(path, datetime.datetime.now(datetime.UTC))
        story = _Story(home, console, quiet=as_json)
        story.say(f"[bold]tdx demo[/] (home: {path})")
        story.run()
        ok = all(s.ok for s in story.steps)
        if as_json:
            sys.stdout.write(
                json.dumps(
                    {
                        "ok": ok,
                        "home": str(path),
                        "steps": [
                            {
                                "step": s.title,
                                "expected": s.expected,
                                "actual": s.actual,
                                "ok": s.ok,
                            }
                            for s in story.steps
                        ],
                    },
                    indent=2,
                )
                + "\n"
            )
        else:
            story.summary()
            console.print("[green]demo passed[/]" if ok else "[red]demo FAILED[/]")
        return ok
