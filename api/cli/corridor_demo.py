"""``tdx demo --network``: the corridor across four country nodes (CN, SG, RU, KZ), each a
real ``tdx serve`` process with its own home on 127.0.0.1, talked to over HTTP only.

It brings the nodes up in a temporary network folder, then runs issue 12's steps 1, 2, 7
and 3, with the rail corridor (R) before the last: a CN phyto certificate pushed to KZ and
verified there on arrival; RU verifying a CN certificate of origin by asking the CN node;
SM2 (CN) and GOST (RU) signatures verified by every other node, and a signature its country
does not allow refused; a Chongqing - Almaty consignment registered at CN, its advance
information verified and the consignment held on KZ's ledger before the train, and KZ
customs' direct release at Dostyk after a transshipment with seals intact; the CN node stopped,
so that RU's answer is UNKNOWN with ``issuer-node: not_checked``, never VALID. It prints a
summary and brings the nodes down (by their PIDs), whatever happened.
"""

from __future__ import annotations

import datetime
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from chaincode.documents.registry import DocumentKind, validate_document
from identity import keys
from identity.certificates import Purpose, issue_organisation_certificate
from identity.keys import KeyType
from network import examples, launcher, signing
from network.home import Home

COUNTRIES = ["CN", "SG", "RU", "KZ"]
ARRIVAL_TIMEOUT = 60.0


@dataclass
class Step:
    title: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _fresh(example: str) -> dict[str, Any]:
    """An example document with a number of its own: each step anchors its own digest (the
    same CO issued by two organisations would be one digest with two records)."""
    document: dict[str, Any] = json.loads(examples.read(example))
    key = "certificateNumber" if "certificateNumber" in document else "id"
    document[key] = str(document[key])[:-6] + f"{secrets.randbelow(10**6):06d}"
    return document


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = next((c for c in report.get("checks", []) if c["name"] == name), None)
    return found or {"name": name, "status": "absent", "reason": ""}


class _Corridor:
    def __init__(self, path: Path, urls: dict[str, str], say: Callable[[str], None]) -> None:
        self.path = path
        self.urls = urls
        self.say = say
        self.steps: list[Step] = []
        self.http = httpx.Client(timeout=60)
        self.co: Any = None  # the CN CO of step 2, asked about again in step 3

    def record(self, title: str, expected: str, actual: str) -> None:
        step = Step(title, expected, actual)
        self.steps.append(step)
        self.say(f"{'ok ' if step.ok else 'NO '} {title}: {actual}")

    def home(self, country: str) -> Home:
        return Home(self.path / "homes" / country)

    def _auth(self, country: str, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.home(country).mint_token(org, _now())}"}

    def issue(self, country: str, org: str, kind: str, example: str) -> tuple[str, Any]:
        document = _fresh(example)
        r = self.http.post(
            self.urls[country] + "/v1/documents",
            json={"kind": kind, "document": document},
            headers=self._auth(country, org),
        )
        r.raise_for_status()
        digest = str(r.json()["documentId"])
        signed = self.http.get(
            f"{self.urls[country]}/v1/documents/{digest}/signed", headers=self._auth(country, org)
        )
        signed.raise_for_status()
        return digest, signed.json()

    def verify(self, country: str, envelope: Any) -> dict[str, Any]:
        r = self.http.post(
            self.urls[country] + "/v1/verify", json={"document": envelope, "askIssuer": True}
        )
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    # --- the steps ----------------------------------------------------------------------

    def pushed_phyto(self) -> None:
        digest, _ = self.issue("CN", "cn-gacc", "phyto", examples.PHYTO)
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        arrival: dict[str, Any] | None = None
        while time.monotonic() < deadline and arrival is None:
            r = self.http.get(self.urls["KZ"] + "/v1/inbox", headers=self._auth("KZ", "kz-customs"))
            found = [a for a in r.json() if a["key"] == digest and a["verdict"]]
            arrival = found[0] if found else None
            if arrival is None:
                time.sleep(0.05)  # polling another process's inbox, bounded by the deadline
        actual = "not arrived" if arrival is None else str(arrival["verdict"])
        self.record("1. a CN phyto certificate pushed to KZ, verified on arrival", "VALID", actual)

    def asked_issuer(self) -> Any:
        _, envelope = self.issue("CN", "cn-gacc", "co", examples.CO)
        report = self.verify("RU", envelope)
        node = _check(report, "issuer-node")
        actual = f"{report['verdict']} (issuer-node {node['status']})"
        expected = "VALID (issuer-node pass)"
        self.record("2. RU verifies a CN CO by asking the CN node", expected, actual)
        return envelope

    def national_signatures(self) -> None:
        _, co = self.issue("CN", "cn-ccpit", "co", examples.CO)
        _, phyto = self.issue("RU", "ru-rosselkhoznadzor", "phyto", examples.PHYTO_RU)
        for envelope, alg, verifiers in (
            (co, "SM2SM3", ("SG", "RU", "KZ")),
            (phyto, "GOST3410-2012-256", ("CN", "SG", "KZ")),
        ):
            results = []
            for country in verifiers:
                report = self.verify(country, envelope)
                reason = str(_check(report, "signature")["reason"])
                results.append(f"{report['verdict']}" + ("" if reason.startswith(alg) else "?"))
            self.record(
                f"7. a {alg} signature verified by {', '.join(verifiers)}",
                " ".join(["VALID"] * len(verifiers)),
                " ".join(results),
            )
        self.record(
            "7. a GOST signature by a KZ organisation (not allowed for KZ) refused",
            "INVALID (chain)",
            self._not_allowed(),
        )

    def _not_allowed(self) -> str:
        """A KZ organisation's document signed with GOST, which KZ's trust-list entry does
        not allow, made here with the KZ root's key (as a forger holding one would)."""
        kz = self.home("KZ")
        root_key = keys.load(kz.path / "roots" / "KZ.key", kz.passphrase())
        org = kz.credentials("kz-customs").organisation
        gost = keys.generate_signing_key(KeyType.GOST_2012_256)
        cert = issue_organisation_certificate(
            kz.root("KZ"), root_key, org, gost.public_key(), Purpose.DOCUMENT, _now()
        )
        doc = validate_document(DocumentKind.PHYTO, json.dumps(_fresh(examples.PHYTO)).encode())
        envelope = signing.DocumentSigner(gost, (cert, kz.root("KZ"))).sign(doc, _now()).to_json()
        report = self.verify("CN", envelope)
        failed = "chain" if _check(report, "chain")["status"] == "fail" else "?"
        return f"{report['verdict']} ({failed})"

    def _wait_for_arrival(self, country: str, org: str, key: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while time.monotonic() < deadline:
            r = self.http.get(self.urls[country] + "/v1/inbox", headers=self._auth(country, org))
            found = [a for a in r.json() if a["key"] == key and a["verdict"]]
            if found:
                return dict(found[0])
            time.sleep(0.05)  # polling another process's inbox, bounded by the deadline
        return None

    def _rail(self, country: str, org: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(
            f"{self.urls[country]}/v1/rail/consignments{path}",
            json=body,
            headers=self._auth(country, org),
        )
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    def rail(self) -> None:
        """Chongqing -> Alashankou/Dostyk -> Almaty: registered at CN, held at KZ on arrival of
        its advance information, then KZ's events and KZ customs' decision on KZ's ledger."""
        note: dict[str, Any] = json.loads(examples.read(examples.RAIL))
        note["noteNumber"] = f"CQ26{secrets.randbelow(10**8):08d}"
        registered = self._rail("CN", "cn-railway", "", {"document": note})
        doc = registered["documentId"]
        key = registered["advanceInformation"]["key"]
        arrival = self._wait_for_arrival("KZ", "kz-customs", key)
        held = _check(arrival["report"], "held")["status"] if arrival else "absent"
        actual = "not arrived" if arrival is None else f"{arrival['verdict']} (held {held})"
        self.record(
            "R. a CN consignment's advance information at KZ, held on KZ's ledger",
            "VALID (held pass)",
            actual,
        )
        seals = [{"sealNumber": s["number"], "result": "INTACT"} for s in note["seals"]]
        dostyk = note["borderCrossings"][0]["entryStation"]["code"]
        moves = [
            {"container": c, "fromWagon": w["number"], "toWagon": f"5200341{i}"}
            for i, w in enumerate(note["wagons"])
            for c in w["containers"]
        ]
        events = f"/{doc}/events"
        for org, event in (
            ("kz-ktz", {"type": "ARRIVAL", "station": dostyk}),
            ("kz-customs", {"type": "SEAL_CHECK", "station": dostyk, "seals": seals}),
            ("kz-ktz", {"type": "TRANSSHIPMENT", "station": dostyk, "moves": moves}),
            ("kz-ktz", {"type": "SEAL_CHECK", "station": dostyk, "seals": seals}),
        ):
            self._rail("KZ", org, events, event)
        decided = self._rail("KZ", "kz-customs", f"/{doc}/releases", {"station": dostyk})
        self.record(
            "R. transshipment at Dostyk, seals intact: KZ customs decides on KZ's node",
            "DIRECT_RELEASE",
            str(decided["decision"]),
        )

    def issuer_down(self, envelope: Any) -> None:
        launcher.stop_one(self.path, "CN")
        report = self.verify("RU", envelope)
        node = _check(report, "issuer-node")
        self.record(
            "3. the CN node stopped: RU's answer",
            "UNKNOWN (issuer-node not_checked)",
            f"{report['verdict']} (issuer-node {node['status']})",
        )


def run(console: Console, as_json: bool) -> bool:
    """Bring up the four nodes, run the steps, print the summary, bring them down; True if
    every step gave the expected result."""

    def say(text: str) -> None:
        if not as_json:
            console.print(text, markup=False)

    with tempfile.TemporaryDirectory(prefix="tdx-corridor-") as tmp:
        path = (Path(tmp) / "network").resolve()
        say(f"tdx demo --network: four nodes in {path}")
        processes = launcher.up(
            COUNTRIES, path, launcher.free_base_port(len(COUNTRIES)), progress=say
        )
        urls = {p.name: p.url for p in processes}
        for p in processes:
            say(f"{p.name} node at {p.url} (pid {p.pid})")
        corridor = _Corridor(path, urls, say)
        try:
            for title, step in (
                ("1. push", corridor.pushed_phyto),
                ("2. ask the issuer", lambda: setattr(corridor, "co", corridor.asked_issuer())),
                ("7. national signatures", corridor.national_signatures),
                ("R. the rail corridor", corridor.rail),
                ("3. the issuer down", lambda: corridor.issuer_down(corridor.co)),
            ):
                try:
                    step()
                except Exception as exc:
                    corridor.record(title, "completes", f"{type(exc).__name__}: {exc}")
        finally:
            corridor.http.close()
            stopped = launcher.down(path)
            say(f"stopped {len(stopped)} node(s) by their PIDs")
    steps = corridor.steps
    ok = bool(steps) and all(s.ok for s in steps)
    if as_json:
        body = {
            "ok": ok,
            "nodes": urls,
            "steps": [
                {"step": s.title, "expected": s.expected, "actual": s.actual, "ok": s.ok}
                for s in steps
            ],
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return ok
    table = Table("step", "expected", "actual", "ok")
    for s in steps:
        table.add_row(s.title, s.expected, s.actual, "[green]yes[/]" if s.ok else "[red]NO[/]")
    console.print(table)
    console.print("[green]corridor demo passed[/]" if ok else "[red]corridor demo FAILED[/]")
    return ok


__all__ = ["run"]
