"""The demo story, the project's main job: the corridor's documents issued, anchored,
passed on, surrendered, released, picked up, verified and audited.

It runs on its own temporary home unless ``--home`` is given (a fresh one: the story
issues the example documents, which a ledger accepts once), prints each step as it goes
and ends with a summary table. It succeeds only if every step gave the expected result,
including the refusals it provokes on purpose. It talks to the node in process; the HTTP
API (issue 4) will carry the same story.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import logging
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.http.app import create_app
from api.http.client import ApiProblem, NodeClient
from api.http.serving import serving
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.records import DocState
from ledger.tlog import proofs
from network import examples, signing
from network.config import LedgerConfig, LedgerEngine
from network.evm import home as evm_home
from network.evm.anvil import run_anvil
from network.home import Home, init_demo
from network.node import Node

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
    """The corridor story, told through the node's HTTP API."""

    def __init__(
        self, api: NodeClient, home: Home, console: Console, quiet: bool, engine: LedgerEngine
    ) -> None:
        self.engine = engine
        self.api = api
        self.home = home
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

    def act(self, title: str, org: str, path: str, body: Any = None) -> None:
        """An action that must be committed."""
        try:
            self.api.call("POST", path, org, body if body is not None else {})
            self.record(title, "committed", "committed")
        except ApiProblem as problem:
            self.record(title, "committed", f"{problem.status}: {problem.problem.get('detail')}")

    def refuse(self, title: str, org: str, path: str, body: Any, status: int, text: str) -> None:
        """An action that must be refused with ``status`` and ``text`` in its reason."""
        expected = f"{status}: {text}"
        try:
            self.api.call("POST", path, org, body)
            self.record(title, expected, "committed")
        except ApiProblem as problem:
            detail = str(problem.problem.get("detail"))
            actual = (
                expected
                if problem.status == status and text in detail
                else f"{problem.status}: {detail}"
            )
            self.record(title, expected, actual)

    def refuse_read(self, title: str, org: str, path: str) -> None:
        """A read the read policy must refuse: 403, naming its rule."""
        expected = "403: need-to-know"
        try:
            self.api.call("GET", path, org)
            self.record(title, expected, "read")
        except ApiProblem as problem:
            self.record(title, expected, f"{problem.status}: {problem.problem.get('rule')}")

    def verify(self, envelope: Any, title: str, expected: str) -> None:
        report = self.api.call("POST", "/v1/verify", None, envelope)
        failed = [c["name"] for c in report["checks"] if c["status"] == "fail"]
        self.record(
            title, expected, "valid" if report["valid"] else "invalid: " + ", ".join(failed)
        )

    def issue(
        self, kind: DocumentKind, filename: str, org: str, links: list[str] | None = None
    ) -> str:
        document = json.loads(examples.read(filename))
        receipt = self.api.call(
            "POST",
            "/v1/documents",
            org,
            {"kind": kind.value, "document": document, "links": links or []},
        )
        self.say(
            f"  {org} anchors {kind.value} {receipt['documentId']} as entry {receipt['index']}"
        )
        return str(receipt["documentId"])

    def run(self) -> None:
        co, phyto, ebl = self.issue_certificates_and_ebl()
        self.pass_title(ebl)
        self.surrender_and_release(ebl)
        self.verify_at_the_border(co)
        self.link_the_rail_consignment(phyto, co)
        self.audit(ebl)

    def issue_certificates_and_ebl(self) -> tuple[str, str, str]:
        self.say("[bold]1. CN customs issues a certificate of origin, CN quarantine a phyto[/]")
        co = self.issue(DocumentKind.CO, "co_cn_sg.json", "cn-gacc")
        phyto = self.issue(DocumentKind.PHYTO, "phyto_cn_kz_apples.json", "cn-gacc")
        self.say("[bold]2. The carrier issues the eBL to the exporter[/]")
        ebl = self.issue(DocumentKind.EBL, "ebl_cnsha_sgsin.json", "cn-cosco")
        return co, phyto, ebl

    def pass_title(self, ebl: str) -> None:
        self.say("[bold]3. Title passes exporter -> bank -> importer[/]")
        endorsements = f"/v1/ebls/{ebl}/endorsements"
        self.act(
            "exporter endorses to Bank of China", "cn-exporter", endorsements, {"to": "cn-boc"}
        )
        self.act("bank endorses to the importer", "cn-boc", endorsements, {"to": "sg-importer"})
        self.refuse(
            "the exporter tries to transfer it again",
            "cn-exporter",
            f"/v1/ebls/{ebl}/transfers",
            {"to": "sg-dbs"},
            409,
            "not the current possessor",
        )

    def surrender_and_release(self, ebl: str) -> None:
        self.say("[bold]4. Surrender, acceptance, release of two containers to a haulier[/]")
        surrenders = f"/v1/ebls/{ebl}/surrenders"
        self.act("importer surrenders for delivery", "sg-importer", surrenders, {"for": "delivery"})
        self.act("carrier accepts (SACC)", "cn-cosco", f"/v1/ebls/{ebl}/surrender-acceptance")
        containers = self.api.call("GET", f"/v1/documents/{ebl}", "cn-cosco")["containers"]
        expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)).isoformat()
        self.act(
            f"carrier releases {', '.join(containers)} to the importer",
            "cn-cosco",
            f"/v1/ebls/{ebl}/releases",
            {"containers": containers, "to": "sg-importer", "expires": expires},
        )
        for c in containers:
            self.act(
                f"importer delegates {c} to its haulier",
                "sg-importer",
                f"/v1/ebls/{ebl}/delegations",
                {"container": c, "to": "sg-haulier"},
            )
        self.say("[bold]5. Gate-out at the terminal[/]")
        for c in containers:
            self.act(
                f"PSA gate-out of {c} for the haulier",
                "sg-psa",
                f"/v1/containers/{c}/pickups",
                {"for": "sg-haulier"},
            )
        self.refuse(
            f"a second pickup of {containers[0]}",
            "sg-psa",
            f"/v1/containers/{containers[0]}/pickups",
            {},
            409,
            "already picked up",
        )

    def verify_at_the_border(self, co: str) -> None:
        self.say("[bold]6. Singapore Customs verifies the certificate of origin[/]")
        signed = self.api.call("GET", f"/v1/documents/{co}/signed", "sg-customs")
        self.verify(signed, "SG customs verifies the CO", "valid")
        self.refuse_read(
            "a Singapore importer the CO does not name asks for it",
            "sg-importer",
            f"/v1/documents/{co}/signed",
        )
        self.say("[bold]7. A tampered copy of the CO is detected, and so is a re-signed one[/]")
        tampered, where = _tamper(signed["document"])
        self.verify(
            {**signed, "document": tampered},
            f"CO with {where} altered",
            "invalid: integrity, anchored",
        )
        co_doc = validate_document(DocumentKind.CO, signed["document"])
        now = datetime.datetime.now(datetime.UTC)
        by_carrier = signing.sign(self.home, "cn-cosco", co_doc, now)
        self.verify(
            by_carrier.to_json(),
            "the same CO signed by a carrier",
            "invalid: role-for-type, anchored",
        )
        by_other_issuer = signing.sign(self.home, "cn-ccpit", co_doc, now)
        self.verify(
            by_other_issuer.to_json(),
            "the same CO re-signed by another CO issuer",
            "invalid: anchored",
        )

    def link_the_rail_consignment(self, phyto: str, co: str) -> None:
        self.say("[bold]8. The rail consignment Chongqing -> Dostyk -> Almaty, linked[/]")
        rail = self.issue(DocumentKind.RAIL, STORY[3][1], "cn-railway", links=[phyto, co])
        linked = self.api.call("GET", f"/v1/documents/{rail}/links", "kz-customs")
        self.record(
            "rail consignment linked to the phyto certificate and the CO",
            "linked",
            "linked" if {phyto, co} <= set(linked) else f"links: {linked}",
        )

    def audit(self, ebl: str) -> None:
        self.say("[bold]9. The auditor traces the eBL and checks its proof offline[/]")
        trace = self.api.call("GET", f"/v1/documents/{ebl}/trace", "kz-auditor")
        self.say("  " + " -> ".join(f"{e['op']}({e['actor']})" for e in trace))
        self.record(
            f"the eBL's trace ({len(trace)} entries)", "10 entries", f"{len(trace)} entries"
        )
        if self.engine is LedgerEngine.EVM:
            # No Merkle log on the evm engine: the auditor reads the state from the chain.
            state = self.api.call("GET", f"/v1/documents/{ebl}", "kz-auditor")["state"]
            expected = DocState.SURRENDERED_FOR_DELIVERY.value
            self.record("the eBL's state read from the chain", expected, state)
            return
        proof = self.api.call("GET", f"/v1/documents/{ebl}/proof", "kz-auditor")
        latest = self.api.call("GET", "/v1/checkpoints/latest")
        result = proofs.check(proof, latest["checkpoint"], latest["key"])
        self.record(
            f"offline proof of the eBL's {len(proof['entries'])} entries",
            "proof holds",
            "proof holds" if result.valid else "; ".join(c.reason for c in result.failures()),
        )
        log = self.api.call("POST", "/v1/ledger/verification", "kz-auditor", {})
        self.record(
            f"the whole log re-checked ({log['entries']} entries)",
            "ok",
            "ok" if log["ok"] else "; ".join(log["problems"][:3]),
        )

    def summary(self) -> None:
        table = Table("step", "expected", "actual", "ok")
        for s in self.steps:
            table.add_row(s.title, s.expected, s.actual, "[green]yes[/]" if s.ok else "[red]NO[/]")
        self.console.print(table)


def _node(stack: contextlib.ExitStack, home: Home, ledger: LedgerConfig, tmp: Path) -> Node:
    """The demo's node; on the evm engine, a fresh contract on the given node or on an anvil
    started for the demo."""
    if ledger.engine is LedgerEngine.EVM:
        url = ledger.rpc or stack.enter_context(run_anvil(tmp / "anvil.log"))
        evm_home.deploy(url, home)
        return stack.enter_context(Node(home, engine=ledger.engine, rpc=url))
    return stack.enter_context(Node(home))


@dataclass(frozen=True)
class Serve:
    """``tdx demo --serve``: after the story, leave the node up at this address."""

    host: str = "127.0.0.1"
    port: int = 8000


def wait_for_stop() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tell(
    node: Node, home: Home, console: Console, quiet: bool, serve: Serve | None = None
) -> list[Step]:
    """Serve the node on a loopback port (a free one unless ``serve`` names one) and tell
    the story through its API; with ``serve``, keep serving until stopped."""
    app = create_app(node, log_level="WARNING")  # the story prints its own progress
    logging.getLogger("tdx.http").setLevel(logging.WARNING)
    where = serve or Serve(port=0)
    with serving(app, host=where.host, port=where.port) as base_url:
        api = NodeClient(base_url, home)
        story = _Story(api, home, console, quiet, node.engine)
        story.say(f"[bold]tdx demo[/] (home: {home.path}; node at {base_url})")
        try:
            story.run()
        finally:
            api.close()
        if not quiet:
            story.summary()
        if serve is not None:
            ok = all(s.ok for s in story.steps)
            console.print("[green]demo passed[/]" if ok else "[red]demo FAILED[/]")
            # One plain line that scripts (and the tests) read.
            sys.stdout.write(f"tdx pages: {base_url}/verify\n")
            sys.stdout.flush()
            console.print(
                "Sign in as any demo organisation; the node stays up until Ctrl-C.",
                markup=False,
            )
            wait_for_stop()
    return story.steps


def run(
    home_dir: Path | None,
    console: Console,
    as_json: bool,
    ledger: LedgerConfig | None = None,
    serve: Serve | None = None,
) -> bool:
    """Start a node on a free loopback port, tell the story over HTTP; True if every step
    gave the expected result. On the evm engine it starts its own anvil unless an RPC URL
    is given, and deploys a fresh contract for the demo home. With ``serve``, the node stays
    up at that address, its pages' URL printed, until SIGINT or SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="tdx-demo-") as tmp, contextlib.ExitStack() as stack:
        path = home_dir or Path(tmp) / "home"
        home = Home(path)
        if not home.exists():
            init_demo(path, datetime.datetime.now(datetime.UTC))
        node = _node(stack, home, ledger or LedgerConfig(), Path(tmp))
        steps = _tell(node, home, console, quiet=as_json, serve=serve)
        ok = all(s.ok for s in steps)
        if as_json:
            body = {
                "ok": ok,
                "home": str(path),
                "steps": [
                    {"step": s.title, "expected": s.expected, "actual": s.actual, "ok": s.ok}
                    for s in steps
                ],
            }
            sys.stdout.write(json.dumps(body, indent=2) + "\n")
        elif serve is None:
            console.print("[green]demo passed[/]" if ok else "[red]demo FAILED[/]")
        return ok
