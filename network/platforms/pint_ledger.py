"""``NodePintLedger``: PINT's ledger port (``interop.pint.PintLedger``) on the node's own
ledger, whatever its engine.

Each move is a signed transaction of ``chaincode.external_control``, submitted as the
organisation whose control moves (``BEGIN``/``COMPLETE``/``CANCEL_TRANSFER_OUT``) or that
receives it (``RECORD_RECEIVED``), so the rules that refuse every local control action while
an eBL is in flight or gone are the ledger's, on every engine, and a race is decided where
every other race is. A refusal comes back as ``ControlRefusedError`` naming the rule (the
receiver answers it ``DISE``; the sender cancels before anything leaves).

Every method is idempotent per transfer, as the port requires: the record keeps the last
transfer's id (``DocumentRecord.transfer``), and a retry of a move already made changes
nothing. SACC moves no control: its notice is the PINT store's, not a ledger transaction.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.records import PENDING, Away, DocState, DocumentRecord
from chaincode.transactions import Op
from interop.pint import (
    ActionCode,
    ControlRefusedError,
    InboundTransfer,
    LocalControl,
    OutboundTransfer,
    SignedAnswer,
)
from interop.pint.checksums import document_id

if TYPE_CHECKING:
    from network.platforms.node_port import PlatformNode

_HELD = frozenset({DocState.ISSUED, *PENDING})


class NodePintLedger:
    def __init__(self, node: PlatformNode, platform: str) -> None:
        self.node = node
        self.platform = platform

    def record(self, td_checksum: str) -> DocumentRecord | None:
        """The eBL's record on this ledger (its first record of the digest), if any."""
        found = self.node.ledger.document(document_id(td_checksum))
        return found if found is not None and found.kind is DocumentKind.EBL else None

    def _submit(self, actor: str, op: Op, td_checksum: str, **fields: Any) -> None:
        try:
            self.node.submit(actor, op, doc=document_id(td_checksum), **fields)
        except Refusal as refused:
            raise ControlRefusedError(refused.rule) from None

    # --- the port -----------------------------------------------------------------------

    def control(self, td_checksum: str) -> LocalControl:
        record = self.record(td_checksum)
        if record is None:
            return LocalControl.ABSENT
        if record.away is Away.IN_FLIGHT:
            return LocalControl.IN_FLIGHT
        if record.away is not None:
            # Transferred out, or exported to a token registry: not here. An envelope that
            # brings it is then judged by the ledger (``record_received``), which refuses
            # one exported to TradeTrust, naming the registry.
            return LocalControl.TRANSFERRED_OUT
        return LocalControl.HELD if record.state in _HELD else LocalControl.CLOSED

    def begin_transfer_out(self, transfer: OutboundTransfer) -> None:
        record = self.record(transfer.td_checksum)
        if transfer.action is ActionCode.SACC:
            closed = record is not None and record.away is None and record.state not in _HELD
            if not closed or record is None or record.carrier != transfer.actor:
                raise ControlRefusedError("only the carrier notifies an accepted surrender")
            return  # a notice: control stays where it is
        if (
            record is not None
            and record.away is Away.IN_FLIGHT
            and record.transfer == transfer.last_entry_checksum
        ):
            return  # the same transfer, retried
        self._submit(
            transfer.actor,
            Op.BEGIN_TRANSFER_OUT,
            transfer.td_checksum,
            where=transfer.to_platform,
            ref=transfer.last_entry_checksum,
            action=transfer.action.value,
        )

    def complete_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer) -> None:
        if not transfer.moves_control:
            return  # SACC: the notice is kept by the PINT store
        record = self.record(transfer.td_checksum)
        if (
            record is not None
            and record.away is Away.TRANSFERRED_OUT
            and record.transfer == transfer.last_entry_checksum
        ):
            return  # recorded before: a retry
        self._submit(
            transfer.actor,
            Op.COMPLETE_TRANSFER_OUT,
            transfer.td_checksum,
            ref=transfer.last_entry_checksum,
            action=transfer.action.value,
            proof=hashlib.sha256(answer.jws.encode("ascii")).hexdigest(),
        )

    def cancel_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer | None) -> None:
        record = self.record(transfer.td_checksum)
        if (
            record is None
            or record.away is not Away.IN_FLIGHT
            or record.transfer != transfer.last_entry_checksum
        ):
            return  # nothing in flight for this transfer: never begun, or cancelled before
        self._submit(
            transfer.actor,
            Op.CANCEL_TRANSFER_OUT,
            transfer.td_checksum,
            ref=transfer.last_entry_checksum,
        )

    def record_received(self, transfer: InboundTransfer) -> None:
        record = self.record(transfer.td_checksum)
        if (
            record is not None
            and record.away is None
            and record.transfer == transfer.last_entry_checksum
        ):
            return  # recorded before: a retry
        carrier_platform = (
            None if transfer.carrier_platform == self.platform else transfer.carrier_platform
        )
        self._submit(
            transfer.recipient_account,
            Op.RECORD_RECEIVED,
            transfer.td_checksum,
            where=transfer.from_platform,
            ref=transfer.last_entry_checksum,
            action=transfer.action.value,
            carrierPlatform=carrier_platform,
            toOrder=transfer.transport_document.get("isToOrder") is True,
        )


__all__ = ["NodePintLedger"]
