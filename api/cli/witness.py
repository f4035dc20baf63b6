"""tdx network evidence / witnesses / witness-descriptor / witness-peers / witness-sync, and
tdx proof check-evidence: witnessed checkpoints on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import HomeOpt, JsonOpt, emit_json, fail, guard, home_of, node_of, out

if TYPE_CHECKING:
    from ledger.tlog.equivocation import EvidenceReport

# network.witness (httpx, SQLite) is imported by the commands that use it, not at start-up.

_MARKS = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]"}


def register_network(network_app: typer.Typer) -> None:
    """The witnessing commands of ``tdx network`` (a group imported when it runs)."""
    network_app.command("evidence")(evidence)
    network_app.command("witnesses")(witnesses)
    network_app.command("witness-descriptor")(witness_descriptor)
    network_app.command("witness-peers")(witness_peers)
    network_app.command("witness-sync")(witness_sync)


def register_proof(proof_app: typer.Typer) -> None:
    """``tdx proof check-evidence`` (this module is light: its commands import the rest)."""
    proof_app.command("check-evidence")(check_evidence)


def evidence(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    write: Annotated[
        Path | None,
        typer.Option("--write", file_okay=False, help="Also write each as DIR/evidence-<id>.json."),
    ] = None,
) -> None:
    """Equivocation evidence against peer nodes, each re-checked with the peer's key."""
    from network.witness import evidence_of

    found = guard(lambda: evidence_of(home_of(home)))
    if write is not None:
        write.mkdir(parents=True, exist_ok=True)
        for item in found.evidence:
            path = write / f"evidence-{item.id}.json"
            path.write_text(json.dumps(item.document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        emit_json(found.to_json())
    elif not found.evidence:
        out.print("No equivocation evidence: every peer showed one history.")
    else:
        for item in found.evidence:
            verdict = "holds" if item.report.valid else "does not hold"
            out.print(
                f"[red]evidence {item.id}[/]: {escape(item.peer or '?')} ({escape(item.origin)}) "
                f"{item.kind}, detected {item.detected_at.isoformat()}; re-checked: {verdict}"
            )
            _render(item.report)
    if found.disputes and not as_json:
        out.print(f"{len(found.disputes)} dispute(s) wait for a log's consistency proof.")


def check_evidence(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Evidence JSON.")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="The log's checkpoint key (name+id+key), as you know it."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-check equivocation evidence offline: exit 0 if it holds, 1 if not.

    Without --key, the key of that log recorded in the home's peers is used, if any.
    """
    from ledger.tlog.equivocation import recheck

    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{file} is not JSON: {exc}")
    if key is None:
        key = _known_key(home, data)
    report = recheck(data, key)
    if as_json:
        emit_json(report.to_json())
    else:
        _render(report)
        out.print("[red]EQUIVOCATION PROVEN[/]" if report.valid else "not proven")
    raise typer.Exit(0 if report.valid else 1)


def _known_key(home: Path | None, data: Any) -> str | None:
    from network.witness.store import WitnessStore

    origin = data.get("origin") if isinstance(data, dict) else None
    target = home_of(home)
    if not isinstance(origin, str) or not (target.path / "witness.db").is_file():
        return None
    store = WitnessStore.of_home(target.path)
    try:
        return next((p.log_key for p in store.peers() if p.origin == origin), None)
    finally:
        store.close()


def _render(report: EvidenceReport) -> None:
    for check in report.checks:
        mark = _MARKS.get(str(check.status.value), "[yellow]skip[/]")
        out.print(f"  {mark}  [bold]{check.name.value}[/]: {escape(check.reason)}")


def witnesses(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Who witnesses this node's log, and which peer logs this node witnesses."""
    from network.witness import witnessing_status

    target = home_of(home)
    found = guard(lambda: witnessing_status(target))
    if as_json:
        emit_json(found.to_json())
        return
    mine, theirs = found.witnesses, found.witnessed
    table = Table("witness", "cosigned size", "at", "last error", title="Witnesses of this log")
    for w in mine:
        at = w.cosigned_at.isoformat() if w.cosigned_at else "-"
        table.add_row(w.name, str(w.cosigned_size or "-"), at, escape(w.error or ""))
    out.print(table)
    table = Table(
        "peer log", "cosigned size", "evidence", "disputes", title="Logs this node witnesses"
    )
    for log in theirs:
        size = "-" if log.cosigned_size is None else str(log.cosigned_size)
        table.add_row(log.name, size, str(log.evidence), str(log.disputes))
    out.print(table)


def witness_descriptor(
    url: Annotated[str, typer.Option("--url", help="This node's base URL, as peers reach it.")],
    name: Annotated[str, typer.Option("--name", help="Its name for peers, e.g. its country.")],
    home: HomeOpt = None,
) -> None:
    """Print this node's witnessing descriptor (JSON) for its peers' witness-peers."""
    from network.witness import descriptor_fields

    fields = guard(lambda: descriptor_fields(home_of(home)))
    emit_json({"name": name, "baseUrl": url, **fields})


def witness_peers(
    descriptors: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Peers' descriptor files.")
    ],
    add: Annotated[bool, typer.Option("--add", help="Add to the peers, do not replace.")] = False,
    home: HomeOpt = None,
) -> None:
    """Record the peers whose logs this node witnesses and who witness its log."""
    from network.home import HomeError
    from network.witness import PeerError, WitnessPeer, register_peers

    peers = []
    for path in descriptors:
        try:
            peers.append(WitnessPeer.from_descriptor(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, PeerError, AttributeError) as exc:
            fail(f"{path}: {exc}")
    try:
        register_peers(home_of(home), peers, replace=not add)
    except HomeError as exc:
        fail(str(exc))
    out.print(f"{len(peers)} peer(s) recorded: " + ", ".join(p.name for p in peers))


def witness_sync(
    home: HomeOpt = None,
    gossip: Annotated[bool, typer.Option(help="Also read the peers' views and settle.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Submit the latest checkpoint to the witnesses now (and gossip), once."""
    from network.witness import Witnessing

    with node_of(home) as node:
        running = Witnessing(node.home, node.provable, node.clock)
        try:
            result = running.run_once(gossiping=gossip)
        finally:
            running.stop()
    if as_json:
        emit_json(
            {
                "submissions": [
                    {"witness": s.witness, "size": s.size, "outcome": s.outcome, "detail": s.detail}
                    for s in result.submissions
                ],
                "observations": [
                    {"origin": o.origin, "outcome": o.outcome, "reason": o.reason}
                    for o in result.observations
                ],
                "settled": [
                    {"dispute": s.dispute, "origin": s.origin, "outcome": s.outcome}
                    for s in result.settled
                ],
            }
        )
        return
    for s in result.submissions:
        out.print(f"{escape(s.witness)}: {s.outcome} size {s.size} {escape(s.detail)}")
    flagged = [o for o in result.observations if o.outcome == "evidence"]
    flagged_settled = [s for s in result.settled if s.outcome == "flagged"]
    out.print(
        f"{len(result.observations)} views read, {len(flagged) + len(flagged_settled)} new "
        "evidence (see tdx network evidence)"
    )


__all__ = ["register_network", "register_proof"]
