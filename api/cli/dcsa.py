"""tdx dcsa ...: DCSA eBL 3.0.3 TransportDocument JSON in (issued on the ledger) and out,
unchanged (byte-identical once both are in RFC 8785 form)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import AsOpt, FileArg, HomeOpt, IdArg, JsonOpt, fail, guard, node_of
from api.cli.ledger import show_receipt
from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind
from interop.dcsa import ExportError, export_transport_document, read_transport_document

app = typer.Typer(no_args_is_help=True, help="DCSA eBL 3.0.3 transport documents: import, export.")


@app.command("import")
def import_(
    file: FileArg,
    as_org: AsOpt,
    to: Annotated[
        str | None, typer.Option("--to", help="First holder [default: the shipper's org].")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a TransportDocument (DCSA's schema and tdx's rules) and issue it as the carrier."""
    data = file.read_bytes()
    guard(lambda: read_transport_document(data))  # every error named, before the node opens
    with node_of(home) as node:
        issued = guard(lambda: node.issue(DocumentKind.EBL, data, as_org, to=to))
    show_receipt(issued.receipt, as_json, issued.document.digest)


@app.command("export")
def export(
    doc_id: IdArg,
    output: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    canonical: Annotated[
        bool, typer.Option("--canonical", help="RFC 8785 bytes instead of indented JSON.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Write the TransportDocument exactly as it was imported."""
    with node_of(home) as node:
        record = guard(lambda: node.require(doc_id))
        if record.kind is not DocumentKind.EBL:
            fail(f"{doc_id} is a {record.kind.value} document, not a transport document")
        stored = node.store.get(doc_id)
    if stored is None:
        fail(f"{doc_id} is on the ledger but this node does not hold its document")
    try:
        envelope = envelope_format.parse(stored)
        data = guard(lambda: export_transport_document(envelope.document, doc_id, canonical))
    except (envelope_format.EnvelopeError, ExportError) as exc:
        fail(str(exc))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
