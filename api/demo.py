"""The demo story, the project's main job: the corridor's documents issued, anchored,
passed on, surrendered, released, picked up, verified and audited.

It runs on its own temporary home unless ``--home`` is given (a fresh one: the story
issues the example documents, which a ledger accepts once), prints each step as it goes
and ends with a summary table. It succeeds only if every step gave the expected result,
including the refusals it provokes on purpose. It talks to the node in process; the HTTP
API (issue 4) will carry the same story.
"""

from __future__ import annotations

import copy
import datetime
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.lifecycle import Refusal
from chaincode.transactions import Op
from identity.checks import Report, Status
from ledger import proofs
from network import signed_document
from network.home import Home, init_demo
from network.node import Node

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
    def __init__(self, node: Node, console: Console, quiet: bool) -> None:
        self.node = node
        self.home = node.home
        self.console = console
        self.quiet = quiet
        self.steps: list[Step] = []

    def say(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text)

    def record(self, title: str, expected: str, actual: str) -> None:
        step = Step(title, expected, actual)
        self.steps.append(step)
        mark = "[green]ok[/]" if step.ok else "[red]UNEXPECTED[/]"
        self.say(f"  {mark}  {escape(title)}: {escape(actual)}")

    def act(self, title: str, org: str, op: Op, **fields: Any) -> None:
        """A ledger action that must be committed."""
        try:
            self.node.submit(org, op, **fields)
            self.record(title, "committed", "committed")
        except Refusal as refusal:
            self.record(title, "committed", f"refused: {refusal.rule}")

    def refuse(self, title: str, fn: Callable[[], object], expected: str) -> None:
        """An action that must be refused, with ``expected`` in its reason."""
        try:
            fn()
            self.record(title, f"refused: {expected}", "committed")
        except Refusal as refusal:
            actual = f"refused: {expected}" if expected in refusal.rule else refusal.rule
            self.record(title, f"refused: {expected}", actual)

    def verify(self, data: bytes, title: str, expected: str) -> None:
        self.record(title, expected, _outcome(self.node.verify(data)))

    def run(self) -> None:
        node = self.node
        issued: dict[DocumentKind, str] = {}
        self.say("[bold]1. CN customs issues a certificate of origin, CN quarantine a phyto[/]")
        for kind, filename, org in STORY:
            if kind is DocumentKind.RAIL:
                continue
            if kind is DocumentKind.EBL:
                self.say("[bold]2. The carrier issues the eBL to the exporter[/]")
            doc = node.issue(kind, (EXAMPLES / filename).read_bytes(), org)
            issued[kind] = doc.document.digest
            self.say(
                f"  {org} anchors {kind.value} {doc.document.digest} as entry {doc.receipt.index}"
            )
        ebl = issued[DocumentKind.EBL]

        self.say("[bold]3. Title passes exporter -> bank -> importer[/]")
        self.act(
            "exporter endorses to Bank of China", "cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc"
        )
        self.act("bank endorses to the importer", "cn-boc", Op.ENDORSE, doc=ebl, to="sg-importer")
        self.refuse(
            "the exporter tries to transfer it again",
            lambda: node.submit("cn-exporter", Op.TRANSFER, doc=ebl, to="sg-dbs"),
            "not the current possessor",
        )

        self.say("[bold]4. Surrender, acceptance, release of two containers to a haulier[/]")
        self.act(
            "importer surrenders for delivery",
            "sg-importer",
            Op.SURRENDER,
            doc=ebl,
            purpose="delivery",
        )
        self.act("carrier accepts (SACC)", "cn-cosco", Op.ACCEPT, doc=ebl)
        containers = list(node.require(ebl).containers)
        expires = node.clock() + datetime.timedelta(days=3)
        self.act(
            f"carrier releases {', '.join(containers)} to the importer",
            "cn-cosco",
            Op.RELEASE,
            doc=ebl,
            containers=containers,
            to="sg-importer",
            expires=expires,
        )
        for c in containers:
            self.act(
                f"importer delegates {c} to its haulier",
                "sg-importer",
                Op.DELEGATE,
                doc=ebl,
                container=c,
                to="sg-haulier",
            )

        self.say("[bold]5. Gate-out at the terminal[/]")
        for c in containers:
            try:
                node.pickup(c, "sg-psa", "sg-haulier")
                self.record(f"PSA gate-out of {c} for the haulier", "released", "released")
            except Refusal as refusal:
                self.record(f"PSA gate-out of {c} for the haulier", "released", refusal.rule)
        self.refuse(
            f"a second pickup of {containers[0]}",
            lambda: node.pickup(containers[0], "sg-psa"),
            "already picked up",
        )

        self.say("[bold]6. Singapore Customs verifies the certificate of origin[/]")
        co_signed = node.store.get(issued[DocumentKind.CO])
        assert co_signed is not None
        self.verify(co_signed, "SG customs verifies the CO", "valid")

        self.say("[bold]7. A tampered copy of the CO is detected[/]")
        envelope = json.loads(co_signed)
        envelope["document"], where = _tamper(envelope["document"])
        self.verify(
            json.dumps(envelope).encode(),
            f"CO with {where} altered",
            "invalid: integrity, anchored",
        )
        co_doc = validate_document(DocumentKind.CO, json.loads(co_signed)["document"])
        by_carrier = signed_document.sign(self.home, "cn-cosco", co_doc, node.clock())
        self.verify(
            json.dumps(by_carrier.to_json()).encode(),
            "the same CO signed by a carrier",
            "invalid: role-for-type",
        )

        self.say("[bold]8. The rail consignment Chongqing -> Dostyk -> Almaty, linked[/]")
        rail = node.issue(
            DocumentKind.RAIL,
            (EXAMPLES / STORY[3][1]).read_bytes(),
            "cn-railway",
            links=[issued[DocumentKind.PHYTO]],
        )
        linked = node.ledger.links(rail.document.digest)
        self.record(
            "rail consignment linked to the phyto certificate",
            "linked",
            "linked" if issued[DocumentKind.PHYTO] in linked else "not linked",
        )

        self.say("[bold]9. The auditor traces the eBL and checks its proof offline[/]")
        trace = node.ledger.trace(ebl)
        self.say("  " + " -> ".join(f"{e.op}({e.actor})" for e in trace))
        proof = node.ledger.prove(ebl)
        result = proofs.check(proof, node.ledger.checkpoint(), self.home.setting("checkpointKey"))
        self.record(
            f"offline proof of the eBL's {len(proof['entries'])} entries",
            "proof holds",
            "proof holds"
            if result.ok
            else "; ".join(line for line in result.lines if line.startswith("FAIL")),
        )
        log = node.ledger.verify_log()
        self.record(
            f"the whole log re-checked ({log.entries} entries)",
            "ok",
            "ok" if log.ok else "; ".join(log.problems[:3]),
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
        with Node(home) as node:
            story = _Story(node, console, quiet=as_json)
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
