"""tdx ebl ...: title and possession, surrender, release, delegation and pickup."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Annotated

import typer

from api.cli import reads
from api.cli.common import (
    AsOpt,
    HomeOpt,
    IdArg,
    JsonOpt,
    emit_json,
    err,
    fail,
    guard,
    node_of,
    out,
)
from api.cli.ledger import show_receipt
from chaincode.lifecycle import Refusal
from chaincode.transactions import Op

app = typer.Typer(no_args_is_help=True, help="eBL control: transfer, surrender, release, pickup.")

app.command("held")(reads.held)

ToOpt = Annotated[str, typer.Option("--to", help="Receiving organisation id.")]
CarrierOpt = Annotated[
    str | None,
    typer.Option(
        "--carrier",
        help="The carrier whose eBL of this digest is meant (needed only when several "
        "carriers issued one).",
    ),
]


class Purpose(StrEnum):
    DELIVERY = "delivery"
    AMENDMENT = "amendment"


def _run(home: HomeOpt, as_org: str, op: Op, as_json: bool, **fields: object) -> None:
    with node_of(home) as node:
        receipt = guard(lambda: node.submit(as_org, op, **fields))
    show_receipt(receipt, as_json)


@app.command()
def transfer(
    doc_id: IdArg,
    to: ToOpt,
    as_org: AsOpt,
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pass possession to another organisation (by the current possessor)."""
    _run(home, as_org, Op.TRANSFER, as_json, doc=doc_id, to=to, carrier=carrier)


@app.command()
def endorse(
    doc_id: IdArg,
    to: ToOpt,
    as_org: AsOpt,
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Endorse a to-order eBL to a new holder, passing title and possession."""
    _run(home, as_org, Op.ENDORSE, as_json, doc=doc_id, to=to, carrier=carrier)


@app.command()
def surrender(
    doc_id: IdArg,
    purpose: Annotated[Purpose, typer.Option("--for", help="delivery or amendment.")],
    as_org: AsOpt,
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Surrender the eBL to its carrier, for delivery or for amendment."""
    _run(home, as_org, Op.SURRENDER, as_json, doc=doc_id, purpose=purpose.value, carrier=carrier)


@app.command()
def accept(
    doc_id: IdArg,
    as_org: AsOpt,
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The carrier accepts a pending surrender (SACC)."""
    _run(home, as_org, Op.ACCEPT, as_json, doc=doc_id, carrier=carrier)


@app.command()
def reject(
    doc_id: IdArg,
    as_org: AsOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why the surrender is rejected.")],
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The carrier rejects a pending surrender (SREJ); control returns to the surrenderer."""
    _run(home, as_org, Op.REJECT, as_json, doc=doc_id, reason=reason, carrier=carrier)


@app.command()
def release(
    doc_id: IdArg,
    containers: Annotated[str, typer.Option("--containers", help="C1,C2: containers to release.")],
    to: ToOpt,
    expires: Annotated[
        datetime.datetime, typer.Option("--expires", help="ISO 8601 expiry of the pickup right.")
    ],
    as_org: AsOpt,
    terminal: Annotated[
        str | None,
        typer.Option("--terminal", help="The one terminal that may hand the containers out."),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help="Any terminal of this country (ISO 3166 alpha-2) may hand them out "
            "[default: the receiving party's country]. Not with --terminal.",
        ),
    ] = None,
    carrier: CarrierOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """After surrender for delivery: grant a named party the right to pick up containers."""
    if terminal is not None and country is not None:
        fail("--terminal and --country: a release names a terminal or a country, not both", 2)
    when = expires if expires.tzinfo else expires.replace(tzinfo=datetime.UTC)
    names = [c.strip() for c in containers.split(",") if c.strip()]
    _run(
        home,
        as_org,
        Op.RELEASE,
        as_json,
        doc=doc_id,
        containers=names,
        to=to,
        expires=when,
        terminal=terminal,
        country=country,
        carrier=carrier,
    )


@app.command()
def delegate(
    doc_id: IdArg,
    container: Annotated[str, typer.Option("--container", help="The released container.")],
    to: ToOpt,
    as_org: AsOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pass a pickup right on (consignee → forwarder → haulier)."""
    _run(home, as_org, Op.DELEGATE, as_json, doc=doc_id, container=container, to=to)


@app.command()
def pickup(
    container: Annotated[str, typer.Option("--container", help="The container at the gate.")],
    as_org: AsOpt,
    by: Annotated[
        str | None, typer.Option("--for", help="The party presenting itself at the gate.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gate-out by a terminal: exit 0 released, exit 1 refused with the reason."""
    with node_of(home) as node:
        try:
            receipt = node.pickup(container, as_org, by)
        except Refusal as refusal:
            if as_json:
                emit_json({"released": False, "container": container, "reason": refusal.rule})
            else:
                err.print(f"REFUSED: {container}: {refusal.rule}", markup=False)
            raise typer.Exit(1) from None
    if as_json:
        emit_json({"released": True, "container": container, "receipt": receipt.to_json()})
    else:
        out.print(f"RELEASED: {container} at gate-out (entry {receipt.index})")
