"""``ReferenceLedger``: the ``PintLedger`` contract as a small SQLite ledger of eBL control.

It is the executable statement of what a platform's ledger must do for PINT (the tests of
``interop.pint`` run two platforms on it), and a model for the node's implementation. It
also has the few local control actions (issue, transfer, accept or reject a surrender) a
platform takes between transfers, each refused unless the eBL is ``HELD`` here by the
acting party: in flight, transferred out or surrendered, nothing can be done.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from interop.pint.ledger_port import (
    ControlRefusedError,
    InboundTransfer,
    LocalControl,
    OutboundTransfer,
    SignedAnswer,
)
from interop.pint.models import SURRENDERS, ActionCode, Party
from ledger.sqlite_files import open_database, write_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS ebls (
    td_checksum TEXT PRIMARY KEY,
    control TEXT NOT NULL,
    state TEXT NOT NULL,
    holder TEXT,
    carrier TEXT,
    surrendered_by TEXT,
    out_to TEXT,
    out_entry TEXT
);
CREATE TABLE IF NOT EXISTS moves (
    last_checksum TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    td_checksum TEXT NOT NULL,
    action TEXT NOT NULL,
    platform TEXT NOT NULL,
    proof TEXT NOT NULL,
    PRIMARY KEY (last_checksum, direction)
);
"""

ISSUED = "ISSUED"
_PENDING = {
    ActionCode.SURRENDER_FOR_DELIVERY: "PENDING_SURRENDER_FOR_DELIVERY",
    ActionCode.SURRENDER_FOR_AMENDMENT: "PENDING_SURRENDER_FOR_AMENDMENT",
}
_SURRENDERED = {
    "PENDING_SURRENDER_FOR_DELIVERY": "SURRENDERED_FOR_DELIVERY",
    "PENDING_SURRENDER_FOR_AMENDMENT": "SURRENDERED_FOR_AMENDMENT",
}


@dataclass(frozen=True)
class EblControl:
    td_checksum: str
    control: LocalControl
    state: str  # DCSA's status names
    holder: str | None  # the local account that controls it (HELD only)
    carrier: str | None  # the carrier's local account, when the carrier is on this platform
    surrendered_by: dict[str, Any] | None  # the party whose surrender is pending
    out_to: str | None
    out_entry: str | None


class ReferenceLedger:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, SCHEMA, synchronous="FULL")
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    def get(self, td_checksum: str) -> EblControl | None:
        with self._lock:
            row = self._db.execute(
                "SELECT td_checksum, control, state, holder, carrier, surrendered_by, out_to, "
                "out_entry FROM ebls WHERE td_checksum = ?",
                (td_checksum,),
            ).fetchone()
        if row is None:
            return None
        return EblControl(
            row[0],
            LocalControl(row[1]),
            row[2],
            row[3],
            row[4],
            json.loads(row[5]) if row[5] else None,
            row[6],
            row[7],
        )

    def _require(self, td_checksum: str) -> EblControl:
        ebl = self.get(td_checksum)
        if ebl is None:
            raise ControlRefusedError(f"eBL {td_checksum} is not on this ledger")
        return ebl

    def _save(self, ebl: EblControl) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO ebls (td_checksum, control, state, holder, carrier, "
            "surrendered_by, out_to, out_entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ebl.td_checksum,
                ebl.control.value,
                ebl.state,
                ebl.holder,
                ebl.carrier,
                json.dumps(ebl.surrendered_by) if ebl.surrendered_by else None,
                ebl.out_to,
                ebl.out_entry,
            ),
        )

    def _move(
        self, last: str, direction: str, td: str, action: str, platform: str, proof: str
    ) -> bool:
        """Record a move once; False if it was recorded before (a retry)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO moves (last_checksum, direction, td_checksum, action, "
            "platform, proof) VALUES (?, ?, ?, ?, ?, ?)",
            (last, direction, td, action, platform, proof),
        )
        return cursor.rowcount == 1

    def moves(self, td_checksum: str, direction: str) -> list[tuple[str, str, str]]:
        """(last entry checksum, action, platform) of every recorded move, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT last_checksum, action, platform FROM moves "
                "WHERE td_checksum = ? AND direction = ? ORDER BY rowid",
                (td_checksum, direction),
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    # --- local control actions -------------------------------------------------------------

    @staticmethod
    def _held_by(ebl: EblControl, actor: str) -> None:
        if ebl.control is not LocalControl.HELD:
            where = f" to {ebl.out_to}" if ebl.out_to else ""
            raise ControlRefusedError(
                f"eBL {ebl.td_checksum} is {ebl.control.value.replace('_', ' ')}{where}: "
                "no control action is possible here"
            )
        if ebl.holder != actor:
            raise ControlRefusedError(f"{actor} does not control the eBL ({ebl.holder} does)")

    def issue(self, td_checksum: str, carrier: str, holder: str) -> None:
        with self._write():
            if self.get(td_checksum) is not None:
                raise ControlRefusedError(f"eBL {td_checksum} is already on this ledger")
            self._save(
                EblControl(
                    td_checksum, LocalControl.HELD, ISSUED, holder, carrier, None, None, None
                )
            )

    def transfer(self, td_checksum: str, actor: str, to: str) -> None:
        with self._write():
            ebl = self._require(td_checksum)
            self._held_by(ebl, actor)
            if ebl.state != ISSUED:
                raise ControlRefusedError(f"state {ebl.state}: no transfer")
            self._save(_evolve(ebl, holder=to))

    def answer_surrender(self, td_checksum: str, carrier: str, accept: bool) -> None:
        """Accept (SACC: surrendered, closed) a pending surrender. Rejection goes back to a
        party on another platform, so it is a PINT send (SREJ), not a local action."""
        with self._write():
            ebl = self._require(td_checksum)
            self._held_by(ebl, carrier)
            if ebl.carrier != carrier or ebl.state not in _SURRENDERED:
                raise ControlRefusedError("only the carrier answers a pending surrender")
            if not accept:
                raise ControlRefusedError("a rejection returns the eBL by PINT (SREJ)")
            self._save(_evolve(ebl, control=LocalControl.CLOSED, state=_SURRENDERED[ebl.state]))

    # --- PintLedger ----------------------------------------------------------------------

    def control(self, td_checksum: str) -> LocalControl:
        ebl = self.get(td_checksum)
        return LocalControl.ABSENT if ebl is None else ebl.control

    def begin_transfer_out(self, transfer: OutboundTransfer) -> None:
        with self._write():
            ebl = self._require(transfer.td_checksum)
            if ebl.control is LocalControl.IN_FLIGHT:
                if ebl.out_entry == transfer.last_entry_checksum:
                    return  # the same transfer, retried
                raise ControlRefusedError(f"eBL {ebl.td_checksum} is in flight to {ebl.out_to}")
            if transfer.action is ActionCode.SACC:
                if ebl.control is not LocalControl.CLOSED or ebl.carrier != transfer.actor:
                    raise ControlRefusedError("only the carrier notifies an accepted surrender")
                return  # a notice: control stays where it is
            self._held_by(ebl, transfer.actor)
            if transfer.action is ActionCode.SREJ:
                if ebl.state not in _SURRENDERED or ebl.carrier != transfer.actor:
                    raise ControlRefusedError("SREJ answers a pending surrender, by its carrier")
            elif ebl.state != ISSUED:
                raise ControlRefusedError(f"state {ebl.state}: no {transfer.action.value}")
            self._save(
                _evolve(
                    ebl,
                    control=LocalControl.IN_FLIGHT,
                    out_to=transfer.to_platform,
                    out_entry=transfer.last_entry_checksum,
                )
            )

    def complete_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer) -> None:
        with self._write():
            ebl = self._require(transfer.td_checksum)
            first = self._move(
                transfer.last_entry_checksum,
                "out",
                transfer.td_checksum,
                transfer.action.value,
                transfer.to_platform,
                answer.jws,
            )
            if not transfer.moves_control or not first:
                return
            if ebl.control is not LocalControl.IN_FLIGHT or (
                ebl.out_entry != transfer.last_entry_checksum
            ):
                raise ControlRefusedError("no such transfer in flight")
            state = _PENDING.get(transfer.action, ISSUED)
            self._save(
                _evolve(
                    ebl,
                    control=LocalControl.TRANSFERRED_OUT,
                    state=state,
                    holder=None,
                    surrendered_by=None,
                )
            )

    def cancel_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer | None) -> None:
        with self._write():
            ebl = self.get(transfer.td_checksum)
            if (
                ebl is None
                or ebl.control is not LocalControl.IN_FLIGHT
                or ebl.out_entry != transfer.last_entry_checksum
            ):
                return  # nothing in flight for this transfer: already cancelled
            self._save(_evolve(ebl, control=LocalControl.HELD, out_to=None, out_entry=None))

    def record_received(self, transfer: InboundTransfer) -> None:
        with self._write():
            ebl = self.get(transfer.td_checksum)
            if ebl is not None and ebl.control in (
                LocalControl.HELD,
                LocalControl.IN_FLIGHT,
                LocalControl.CLOSED,
            ):
                raise ControlRefusedError(
                    f"this ledger has the eBL {ebl.control.value.replace('_', ' ')}"
                )
            if not self._move(
                transfer.last_entry_checksum,
                "in",
                transfer.td_checksum,
                transfer.action.value,
                transfer.from_platform,
                transfer.chain[-1],
            ):
                return  # recorded before: a retry
            carrier = ebl.carrier if ebl else None
            if transfer.action in SURRENDERS:
                new = EblControl(
                    transfer.td_checksum,
                    LocalControl.HELD,
                    _PENDING[transfer.action],
                    transfer.recipient_account,
                    transfer.recipient_account,
                    _party(transfer.actor),
                    None,
                    None,
                )
            elif transfer.action is ActionCode.SACC:
                pending = ebl.state if ebl else "PENDING_SURRENDER_FOR_DELIVERY"
                new = EblControl(
                    transfer.td_checksum,
                    LocalControl.CLOSED,
                    _SURRENDERED.get(pending, "SURRENDERED_FOR_DELIVERY"),
                    None,
                    carrier,
                    None,
                    None,
                    None,
                )
            else:
                new = EblControl(
                    transfer.td_checksum,
                    LocalControl.HELD,
                    ISSUED,
                    transfer.recipient_account,
                    carrier,
                    None,
                    None,
                    None,
                )
            self._save(new)


def _party(party: Party) -> dict[str, Any]:
    return party.wire()


def _evolve(ebl: EblControl, **changes: Any) -> EblControl:
    return replace(ebl, **changes)
