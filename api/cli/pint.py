"""tdx pint ...: send an eBL to another eBL platform with DCSA PINT 3.0.0, and carry on a
transfer left in flight.

The platform's settings are in ``HOME/pint.json`` (``interop.pint.config``); its PINT memory
(chains, documents, transfers in flight) in ``HOME/pint.db``.

Until the node service implements the PINT ledger port, ``_NodeControl`` stands in for it
over today's ``Node``: it checks that the acting organisation holds the eBL, and it takes
"in flight" and "transferred out" from the PINT store. The node's own ledger does not know
them yet, so ``tdx ebl transfer`` could still act on an eBL sent away: the lead's wiring
closes that (see the PINT report).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import httpx
import typer
from cryptography.hazmat.primitives.asymmetric import ec

from api.cli.common import AsOpt, HomeOpt, IdArg, JsonOpt, emit_json, fail, guard, home_of, now, out
from api.cli.common import node_of as open_node
from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind
from chaincode.records import DocState
from interop.pint import (
    ActionCode,
    AdditionalDocument,
    ControlRefusedError,
    IdentifyingCode,
    InboundTransfer,
    LocalControl,
    OutboundTransfer,
    Outcome,
    Party,
    PintStore,
    PlatformSigner,
    Sender,
    SendRefusedError,
    SignedAnswer,
    StaticDirectory,
    Transfer,
    TransferPendingError,
    issuance_manifest,
    transaction,
)
from interop.pint.checksums import document_id, td_checksum_of
from interop.pint.config import FILE_NAME, ConfigError, PlatformConfig, load
from interop.pint.history import HistoryError, transactions_from_history
from interop.pint.signatures import KeyNotAllowedError, unverified_payload
from network.home import Home
from network.node import Node

app = typer.Typer(no_args_is_help=True, help="DCSA PINT 3.0.0: eBLs to and from other platforms.")
STORE_FILE = "pint.db"
T = TypeVar("T")


def _pint(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (ConfigError, KeyNotAllowedError, HistoryError, SendRefusedError) as exc:
        fail(str(exc))
    except TransferPendingError as exc:
        fail(f"{exc}; carry on with: tdx pint resume ID")


class _NodeControl:
    """The sending half of ``PintLedger`` over today's ``Node`` (see the module's note)."""

    def __init__(self, node: Node, store: PintStore, platform: str) -> None:
        self.node, self.store, self.platform = node, store, platform

    def _gone(self, td_checksum: str) -> bool:
        chain = self.store.chain(td_checksum)
        return bool(chain) and unverified_payload(chain[-1]).get("eblPlatform") == self.platform

    def control(self, td_checksum: str) -> LocalControl:
        record = self.node.ledger.document(document_id(td_checksum))
        if record is None:
            return LocalControl.ABSENT
        if self.store.active_outbound(td_checksum) is not None:
            return LocalControl.IN_FLIGHT
        if self._gone(td_checksum):
            return LocalControl.TRANSFERRED_OUT
        return LocalControl.HELD if record.state is DocState.ISSUED else LocalControl.CLOSED

    def begin_transfer_out(self, transfer: OutboundTransfer) -> None:
        active = self.store.active_outbound(transfer.td_checksum)
        if active is not None and active.last_checksum != transfer.last_entry_checksum:
            raise ControlRefusedError(f"in flight to {active.peer_platform}")
        if self._gone(transfer.td_checksum):
            raise ControlRefusedError("transferred out to another platform")
        if transfer.action is not ActionCode.TRANSFER:
            raise ControlRefusedError(f"this node sends TRANSFER only, not {transfer.action}")
        record = self.node.ledger.document(document_id(transfer.td_checksum))
        if record is None or record.state is not DocState.ISSUED:
            raise ControlRefusedError("the eBL is not transferable here")
        if record.holder != transfer.actor:
            raise ControlRefusedError(
                f"{transfer.actor} does not hold the eBL ({record.holder} does)"
            )

    def complete_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer) -> None:
        """Kept in the PINT store (its chain now ends with this platform's entry)."""

    def cancel_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer | None) -> None:
        """Nothing was marked on the ledger, so nothing to undo."""

    def record_received(self, transfer: InboundTransfer) -> None:
        raise ControlRefusedError("this node does not receive eBLs by PINT yet")


def _settings(home: Home) -> tuple[PlatformConfig, PlatformSigner]:
    config = load(home.path / FILE_NAME)
    key = guard(lambda: home.signing_key(config.signer))
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyNotAllowedError(f"{config.signer}'s {type(key).__name__} cannot sign PINT content")
    return config, PlatformSigner.of(config.platform, key)


@contextmanager
def _sender(home: Home, node: Node) -> Iterator[tuple[Sender, StaticDirectory]]:
    config, signer = _pint(lambda: _settings(home))
    directory = StaticDirectory.of_organisations(config.platform, home.organisations())
    with PintStore(home.path / STORE_FILE) as store, httpx.Client(timeout=30) as client:
        sender = Sender(
            signer=signer,
            ring=config.ring(signer.public_key()),
            store=store,
            ledger=_NodeControl(node, store, config.platform),
            client=client,
        )
        yield sender, directory


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


@app.command()
def send(
    doc_id: IdArg,
    to: Annotated[str, typer.Option("--to", help="The receiving platform's base URL.")],
    recipient: Annotated[
        str,
        typer.Option("--recipient", help="The party's code there: CODE or PROVIDER:CODE."),
    ],
    as_org: AsOpt,
    documents: Annotated[
        list[Path] | None,
        typer.Option("--document", exists=True, dir_okay=False, help="Supporting document."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Transfer the eBL to a party on another platform; exit 0 only on a signed RECE/DUPE."""
    h = home_of(home)
    with open_node(home) as node:
        record = guard(lambda: node.require(doc_id))
        if record.kind is not DocumentKind.EBL:
            fail(f"{doc_id} is a {record.kind.value} document, not an eBL")
        stored = node.store.get(doc_id)
        if stored is None:
            fail(f"this node does not hold the document {doc_id}")
        td = envelope_format.parse(stored).document
        extra = [
            AdditionalDocument(
                p.name,
                mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                p.read_bytes(),
            )
            for p in documents or []
        ]
        with _sender(h, node) as (sender, directory):

            def party(org: str) -> Party:
                account = directory.account(org)
                if account is None:
                    fail(f"{org} has no account on this platform")
                return account.party

            checksum = td_checksum_of(doc_id)
            peer = _pint(lambda: load(h.path / FILE_NAME).peer(to))
            whom = _pint(lambda: sender.receiver_party(peer, _code(recipient, peer.platform)))
            previous = sender.store.chain(checksum)
            local = (
                []
                if previous
                else _pint(lambda: transactions_from_history(node.ledger.history(doc_id), party))
            )
            move = transaction(ActionCode.TRANSFER, party(as_org), now(), whom)
            first_holder = local[0].recipient if local else None
            outcome = _pint(
                lambda: sender.send(
                    Transfer(
                        transport_document=td,
                        previous_chain=previous,
                        transactions=[*local, move],
                        actor=as_org,
                        to=peer,
                        documents=extra,
                        issuance_manifest=(
                            issuance_manifest(td, first_holder, sender.signer)
                            if first_holder is not None
                            else None
                        ),
                    )
                )
            )
    _show(outcome, as_json)


@app.command()
def resume(doc_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Carry on the transfer in flight for this eBL (the same envelope, sent again)."""
    h = home_of(home)
    with open_node(home) as node, _sender(h, node) as (sender, _):
        outcome = _pint(lambda: sender.resume(td_checksum_of(doc_id)))
    _show(outcome, as_json)
