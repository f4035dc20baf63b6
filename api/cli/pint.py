"""tdx pint ...: send an eBL to another eBL platform with DCSA PINT 3.0.0, and carry on a
transfer left in flight.

The node is the platform: its settings are in ``HOME/pint.json`` (``interop.pint.config``),
its PINT memory (chains, documents, transfers in flight) in ``HOME/pint.db``, and its ledger
holds control (``network.platforms.NodePintLedger``): in flight and after a signed RECE the
eBL refuses every local control action, on the command line and over HTTP alike. ``tdx
serve`` answers PINT's receiving endpoints under ``/v3``.
"""

from __future__ import annotations

import enum
import mimetypes
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import httpx
import typer

from api.cli.common import AsOpt, HomeOpt, IdArg, JsonOpt, emit_json, fail, guard, out
from api.cli.common import node_of as open_node
from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind
from interop.pint import (
    ActionCode,
    AdditionalDocument,
    IdentifyingCode,
    Outcome,
    Sender,
    SendRefusedError,
    TransferPendingError,
)
from interop.pint.checksums import td_checksum_of
from interop.pint.config import ConfigError
from interop.pint.history import HistoryError
from interop.pint.signatures import KeyNotAllowedError
from network.node import Node
from network.platforms.pint_platform import PintPlatform

app = typer.Typer(no_args_is_help=True, help="DCSA PINT 3.0.0: eBLs to and from other platforms.")
T = TypeVar("T")


class Action(enum.StrEnum):
    TRANSFER = "transfer"
    SURRENDER_FOR_DELIVERY = "surrender-for-delivery"
    SURRENDER_FOR_AMENDMENT = "surrender-for-amendment"
    SACC = "sacc"
    SREJ = "srej"

    @property
    def code(self) -> ActionCode:
        return ActionCode(self.value.upper().replace("-", "_"))


def _pint(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (ConfigError, KeyNotAllowedError, HistoryError, SendRefusedError) as exc:
        fail(str(exc))
    except TransferPendingError as exc:
        fail(f"{exc}; carry on with: tdx pint resume ID")


def _platform(node: Node) -> PintPlatform:
    platform = _pint(node.pint)
    if platform is None:
        fail(f"no PINT settings at {node.home.path / 'pint.json'}: this node is no PINT platform")
    return platform


@contextmanager
def _sender(node: Node) -> Iterator[tuple[PintPlatform, Sender]]:
    platform = _platform(node)
    with httpx.Client(timeout=30) as client:
        yield platform, platform.sender(client)


def _code(text: str, platform: str) -> IdentifyingCode:
    provider, _, code = text.rpartition(":")
    return IdentifyingCode(codeListProvider=provider or platform, partyCode=code)


def _show(outcome: Outcome, as_json: bool) -> NoReturn:
    if as_json:
        emit_json(outcome.to_json())
    else:
        code = outcome.code.value if outcome.code else "no answer"
        reason = f": {outcome.reason}" if outcome.reason else ""
        out.print(f"{code} from {outcome.peer}: {outcome.state.value}{reason}", markup=False)
    raise typer.Exit(0 if outcome.code is not None and outcome.code.accepted else 1)


def _issued_here(node: Node, doc_id: str) -> object:
    """The transport document of an eBL issued on this node (None if it came by PINT)."""
    stored = node.store.get(doc_id)
    return None if stored is None else envelope_format.parse(stored).document


@app.command()
def send(
    doc_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The receiving platform's base URL.")],
    recipient: Annotated[
        str,
        typer.Option("--recipient", help="The party's code there: CODE or PROVIDER:CODE."),
    ],
    as_org: AsOpt,
    action: Annotated[
        Action,
        typer.Option(
            "--action",
            help="transfer; a surrender (to the carrier, on the platform that issued the eBL); "
            "or the carrier's answer to one that came from there: sacc, srej.",
        ),
    ] = Action.TRANSFER,
    documents: Annotated[
        list[Path] | None,
        typer.Option("--document", exists=True, dir_okay=False, help="Supporting document."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the eBL to a party on another platform; exit 0 only on a signed RECE/DUPE."""
    with open_node(home) as node:
        record = guard(lambda: node.require(doc_id))
        if record.kind is not DocumentKind.EBL:
            fail(f"{doc_id} is a {record.kind.value} document, not an eBL")
        extra = [
            AdditionalDocument(
                p.name,
                mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                p.read_bytes(),
            )
            for p in documents or []
        ]
        with _sender(node) as (platform, sender):
            peer = _pint(lambda: platform.config.peer(to))
            whom = _pint(lambda: sender.receiver_party(peer, _code(recipient, peer.platform)))
            transfer = _pint(
                lambda: platform.transfer(
                    sender,
                    doc_id,
                    peer,
                    whom,
                    as_org,
                    action.code,
                    extra,
                    _issued_here(node, doc_id),
                )
            )
            outcome = _pint(lambda: sender.send(transfer))
    _show(outcome, as_json)


@app.command()
def resume(doc_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Carry on the transfer in flight for this eBL (the same envelope, sent again)."""
    with open_node(home) as node, _sender(node) as (_, sender):
        outcome = _pint(lambda: sender.resume(td_checksum_of(doc_id)))
    _show(outcome, as_json)
