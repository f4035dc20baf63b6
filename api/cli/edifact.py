"""tdx edifact: consignment notes in from IFTMIN, border events out as IFTSTA
(``network.rail.exchange``; the segment mapping is interop/edifact/MAPPING.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import AsOpt, HomeOpt, IdArg, JsonOpt, emit_json, fail, guard, node_of, now, out
from api.cli.rail import OutOpt, show_pushed
from chaincode.read_policy import OPERATOR
from interop.edifact import EdifactError
from network.rail import RailDesk
from network.rail.exchange import Parties, export_edifact, import_edifact

app = typer.Typer(no_args_is_help=True, help="EDIFACT IFTMIN in, IFTSTA out.")


@app.command("import")
def edifact_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="IFTMIN file.")],
    as_org: AsOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register the consignment notes of an IFTMIN interchange as ``--as``; a malformed
    message is refused naming its segment, and nothing is written."""
    with node_of(home) as node:
        desk = RailDesk(node)
        try:
            done = guard(lambda: import_edifact(desk, file.read_text(), as_org))
        except EdifactError as exc:
            fail(f"edifact: {exc}")
    if as_json:
        emit_json([{"documentId": d.doc_id, "noteNumber": d.note_number} for d in done])
        return
    for d in done:
        out.print(f"registered {d.note_number} as {d.doc_id}")
        show_pushed(d.pushed, desk)


@app.command("export")
def edifact_export(
    doc_id: IdArg,
    out_file: OutOpt,
    sender: Annotated[str, typer.Option("--sender", help="UNB sender id.")] = "TDX",
    recipient: Annotated[str, typer.Option("--recipient", help="UNB recipient id.")] = "TDX",
    home: HomeOpt = None,
) -> None:
    """Write the consignment's border events as an IFTSTA interchange."""
    with node_of(home) as node:
        desk = RailDesk(node)
        text = guard(
            lambda: export_edifact(desk, doc_id, OPERATOR, Parties(sender, recipient), now())
        )
    out_file.write_text(text)
    out.print(f"wrote {out_file}")


__all__ = ["app"]
