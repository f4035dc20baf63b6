"""tdx ephyto: a quarantine certificate out to and in from UN/CEFACT SPSCertificate XML, in
the IPPC hub's envelope, with an enveloped XMLDSig (``network.rail.exchange``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import AsOpt, HomeOpt, IdArg, JsonOpt, fail, guard, node_of, out
from api.cli.ledger import show_receipt
from api.cli.rail import OutOpt
from chaincode.read_policy import OPERATOR
from interop.ephyto import SpsXmlError
from network.rail.exchange import export_ephyto, import_ephyto

app = typer.Typer(no_args_is_help=True, help="Quarantine certificates as SPS XML.")


@app.command("export")
def ephyto_export(
    doc_id: IdArg,
    out_file: OutOpt,
    sign_as: Annotated[
        str | None,
        typer.Option("--sign-as", help="Sign (XMLDSig) with this organisation's document key."),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Write the quarantine certificate as SPSCertificate XML in the IPPC hub envelope."""
    with node_of(home) as node:
        try:
            data = guard(lambda: export_ephyto(node, doc_id, OPERATOR, sign_as))
        except SpsXmlError as exc:
            fail(str(exc))
    out_file.write_bytes(data)
    out.print(f"wrote {out_file} ({len(data)} bytes{', signed' if sign_as else ''})")


@app.command("import")
def ephyto_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="SPS XML file.")],
    as_org: AsOpt,
    signed_by: Annotated[
        str | None,
        typer.Option("--signed-by", help="Require a valid XMLDSig by this organisation."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue the certificate in an SPS XML file (or hub envelope) as ``--as``; the XML is
    parsed safely (DTDs and entities refused) and checked before anything is written."""
    with node_of(home) as node:
        try:
            issued = guard(lambda: import_ephyto(node, file.read_bytes(), as_org, signed_by))
        except SpsXmlError as exc:
            fail(str(exc))
    show_receipt(issued.receipt, as_json, issued.document.digest)


__all__ = ["app"]
