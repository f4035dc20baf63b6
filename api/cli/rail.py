"""tdx rail: the rail corridor (关铁通) on this node's home.

``tdx rail`` registers consignments, records border events, takes release decisions and
reads a consignment's journey and the release-time report (as the node's operator, or with
``--node URL --as ORG`` over HTTP); ``tdx ephyto`` and ``tdx edifact`` are their own modules.
Advance information goes to the next country's node through the node's outbox: on a single
home nothing leaves (``network.rail.LocalOutbox``), and the command says what went ahead.
"""

from __future__ import annotations

import csv
import datetime
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli import reads
from api.cli.common import (
    AsOpt,
    FileArg,
    HomeOpt,
    IdArg,
    JsonOpt,
    emit_json,
    fail,
    guard,
    node_of,
    out,
)
from api.cli.ledger import show_receipt
from chaincode.rail.events import EventType
from chaincode.read_policy import OPERATOR
from network.rail import Push, RailDesk, SealReport
from network.rail.views import rail_status_json

app = typer.Typer(no_args_is_help=True, help="Rail consignments, border events and release.")

StationOpt = Annotated[str, typer.Option("--station", help="UIC station code, e.g. 708507.")]
AtOpt = Annotated[
    datetime.datetime | None,
    typer.Option("--at", help="When it happened, ISO 8601 [default: now]."),
]
OutOpt = Annotated[Path, typer.Option("--out", dir_okay=False, help="File to write.")]


def _utc(at: datetime.datetime | None) -> datetime.datetime | None:
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=datetime.UTC)


def show_pushed(pushed: Push | None, desk: RailDesk) -> None:
    if pushed is None:
        return
    what = f"advance information ({pushed.payload['reason']} at {pushed.payload['station']})"
    if pushed.status in ("queued", "duplicate"):
        out.print(f"{what} queued in the outbox for {pushed.destination_country}'s node")
    else:  # this home is that country's node too: nothing needs to leave it
        out.print(f"{what} for {pushed.destination_country}'s node: this home's own ledger")


def parse_seal(text: str) -> SealReport:
    """``NUMBER=intact|broken|missing|replaced:NEW[:TYPE[:PARTY]]``."""
    number, sep, result = text.partition("=")
    if not sep or not number:
        fail(f"--seal {text!r}: expected NUMBER=intact|broken|missing|replaced:NEW", 2)
    kind, _, rest = result.partition(":")
    kind = kind.lower()
    if kind not in ("intact", "broken", "missing", "replaced"):
        fail(f"--seal {text!r}: the result is intact, broken, missing or replaced:NEW", 2)
    if kind != "replaced":
        if rest:
            fail(f"--seal {text!r}: only a replaced seal names a new one", 2)
        return SealReport(number, kind)
    parts = rest.split(":")
    if not parts[0]:
        fail(f"--seal {text!r}: a replaced seal names the new one: replaced:NEW", 2)
    new_type = parts[1].upper() if len(parts) > 1 and parts[1] else None
    party = parts[2].upper() if len(parts) > 2 and parts[2] else None
    return SealReport(number, kind, parts[0], new_type, party)


def parse_move(text: str) -> tuple[str, str, str]:
    """``CONTAINER=FROM_WAGON:TO_WAGON``."""
    container, sep, wagons = text.partition("=")
    old, colon, new = wagons.partition(":")
    if not (sep and colon and container and old and new):
        fail(f"--wagon {text!r}: expected CONTAINER=FROM_WAGON:TO_WAGON", 2)
    return container, old, new


@app.command()
def register(file: FileArg, as_org: AsOpt, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Issue a consignment note (SMGS / CIM-SMGS JSON) and register its route, wagons and
    seals; advance information goes to the first country ahead."""
    with node_of(home) as node:
        desk = RailDesk(node)
        done = guard(lambda: desk.register(file.read_bytes(), as_org))
    if as_json:
        emit_json(
            {
                "documentId": done.doc_id,
                "noteNumber": done.note_number,
                "registered": done.registered.to_json(),
                "advanceInformation": done.pushed.destination_country if done.pushed else None,
            }
        )
        return
    show_receipt(done.registered, False, done.doc_id)
    show_pushed(done.pushed, desk)


@app.command()
def event(
    doc_id: IdArg,
    station: StationOpt,
    event_type: Annotated[
        str, typer.Option("--type", help="arrival, seal-check, transshipment or departure.")
    ],
    as_org: AsOpt,
    seal: Annotated[
        list[str] | None,
        typer.Option("--seal", help="NUMBER=intact|broken|missing|replaced:NEW[:TYPE[:PARTY]]"),
    ] = None,
    wagon: Annotated[
        list[str] | None,
        typer.Option("--wagon", help="Transshipment: CONTAINER=FROM_WAGON:TO_WAGON."),
    ] = None,
    at: AtOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a border event at a station of the consignment's route."""
    types = {"arrival", "seal-check", "transshipment", "departure"}
    if event_type.lower() not in types:
        fail(f"--type {event_type!r}: one of {', '.join(sorted(types))}", 2)
    kind = EventType(event_type.upper().replace("-", "_"))
    seals = [parse_seal(s) for s in seal or []]
    moves = [parse_move(w) for w in wagon or []]
    with node_of(home) as node:
        desk = RailDesk(node)
        done = guard(lambda: desk.record(doc_id, as_org, kind, station, seals, moves, _utc(at)))
    show_receipt(done.receipt, as_json, doc_id)
    if not as_json:
        show_pushed(done.pushed, desk)


@app.command()
def release(
    doc_id: IdArg,
    station: StationOpt,
    as_org: AsOpt,
    at: AtOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Customs' release decision at a border station: DIRECT_RELEASE when every seal is
    unchanged, else INSPECTION_REQUIRED naming each seal and why. Signed by ``--as``."""
    with node_of(home) as node:
        done = guard(lambda: RailDesk(node).release(doc_id, station, as_org, _utc(at)))
    findings = [
        {"subject": f.subject, "reason": f.reason, "detail": f.detail}
        for f in done.assessment.findings
    ]
    if as_json:
        emit_json(
            {
                "decision": done.assessment.outcome.value,
                "findings": findings,
                "receipt": done.receipt.to_json(),
            }
        )
        return
    out.print(f"{done.assessment.outcome.value} at {station} (entry {done.receipt.index})")
    for f in done.assessment.findings:
        out.print(f"  {f}", markup=False)


def _status(
    doc_id: str, home: Path | None, node_url: str | None, reader: str | None, as_json: bool
) -> None:
    body = reads._read(
        home,
        node_url,
        reader,
        lambda node: rail_status_json(RailDesk(node).status(doc_id, OPERATOR)),
        lambda client, org: client.call("GET", f"/v1/rail/consignments/{doc_id}", org),
    )
    if as_json:
        emit_json(body)
        return
    out.print(
        f"consignment {body['noteNumber']} ({body['id']}), {body['state']}, by {body['issuer']}"
    )
    out.print(f"  {body['from']['name']} -> {body['to']['name']}")
    for e in body["events"]:
        extra = e.get("decision", "")
        out.print(f"  {e['time']} {e['station']} {e['type']} by {e['by']} {extra}".rstrip())
    for container, on in body["containers"].items():
        out.print(f"  container {container} on wagon {on}")
    for chain in body["seals"]:
        steps = " -> ".join([chain["original"], *(r["new"] for r in chain["replacements"])])
        out.print(f"  seal {steps} on {chain['on']}")
    for crossing in body["crossings"]:
        taken = ", ".join(d["decision"] for d in crossing["decisions"]) or "none yet"
        out.print(f"  {crossing['pair']}: assessment {crossing['assessment']}, decision {taken}")
        for f in crossing["findings"]:
            out.print(f"    {f['subject']}: {f['reason']}: {f['detail']}", markup=False)


@app.command()
def status(
    doc_id: IdArg,
    node_url: reads.NodeUrlOpt = None,
    reader: reads.ReaderOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The route so far, wagons and containers, seal history, and release decisions (with
    ``--node URL --as ORG``: over HTTP, as ORG reads it)."""
    _status(doc_id, home, node_url, reader, as_json)


@app.command()
def show(
    doc_id: IdArg,
    node_url: reads.NodeUrlOpt = None,
    reader: reads.ReaderOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The same as ``tdx rail status``."""
    _status(doc_id, home, node_url, reader, as_json)


def _date(text: str | None, option: str) -> datetime.datetime | None:
    if text is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r}: an ISO 8601 date or date-time", 2)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


@app.command()
def report(
    border: Annotated[
        str | None,
        typer.Option("--border", help="A border pair: Alashankou-Dostyk, or 892305-708507."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Arrivals from this date (inclusive).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Arrivals before this date (exclusive).")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="One CSV row per border pair.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dwell times per border pair from the ledger's events: arrival to release decision,
    arrival to departure (p50, p90, max), and the share of direct releases."""
    if as_csv and as_json:
        fail("--csv and --json: choose one", 2)
    start, end = _date(since, "--from"), _date(until, "--to")
    with node_of(home) as node:
        result = guard(lambda: RailDesk(node).report(OPERATOR, border, start, end))
    if as_json:
        emit_json(result.as_json())
        return
    rows = [p.as_row() for p in result.pairs]
    if as_csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return
    if not rows:
        out.print("no border arrivals on the ledger for this selection")
    for p in result.pairs:
        body = p.as_json()
        share = "-" if p.direct_share is None else f"{p.direct_share:.1%}"
        out.print(f"{p.pair}: {p.consignments} consignment(s), direct release {share}")
        for name, key in (
            ("arrival -> decision", "arrivalToDecisionSeconds"),
            ("arrival -> departure", "arrivalToDepartureSeconds"),
        ):
            s = body[key]
            out.print(f"  {name}: n={s['count']} p50={s['p50']} p90={s['p90']} max={s['max']} s")


__all__ = ["OutOpt", "app", "parse_move", "parse_seal", "show_pushed"]
