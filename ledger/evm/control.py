"""Where control of an eBL lives, as the EVM index mirrors it from ``ControlMoved`` events:
``control_change`` applies one move (as ``chaincode.external_control`` changes the record),
``with_control`` puts a record's control facts on its ``DocumentRecord``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chaincode.records import Away, DocState, DocumentRecord
from chaincode.transactions import Op
from ledger.evm.text import platforms_text, registry_text


def control_change(
    op: Op,
    state: str,
    ref: str,
    where: bytes,
    issuer: str,
    actor: str | None,
    control: dict[str, str],
    holder: str | None,
    surrendered_by: str | None,
    returned_by: Callable[[], str | None],
) -> tuple[str | None, str | None, dict[str, str]]:
    """The record's holder, surrendering party and new control facts after ``op``;
    ``control`` (the facts before) loses what the move ends."""
    moved: dict[str, str] = {}
    if op is Op.EXPORT_EBL:
        holder = None
        moved = {"away": Away.EXPORTED.value, "awayAt": registry_text(where), "transfer": ref}
    elif op is Op.RECLAIM_EBL:
        holder = issuer
        surrendered_by = returned_by()
    elif op is Op.BEGIN_TRANSFER_OUT:
        moved = {"away": Away.IN_FLIGHT.value, "transfer": ref}
        moved["awayAt"] = platforms_text(where)[0] or ""
    elif op is Op.COMPLETE_TRANSFER_OUT:
        holder, surrendered_by = None, None
        moved = {k: v for k, v in control.items() if k in ("awayAt", "transfer")}
        moved["away"] = Away.TRANSFERRED_OUT.value
        control.pop("surrenderedFrom", None)
    elif op is Op.RECORD_RECEIVED:
        moved = {"transfer": ref}
        control.pop("surrenderedFrom", None)
        surrendered_by = None
        holder = None if state.startswith("SURRENDERED") else actor
        if state.startswith("PENDING"):
            moved["surrenderedFrom"] = platforms_text(where)[0] or ""
    return holder, surrendered_by, moved


def with_control(record: DocumentRecord, control: Mapping[str, str]) -> DocumentRecord:
    """An eBL record with its control facts (``EvmIndex.control_of``): no carrier here for
    an eBL received by PINT, and while control is elsewhere no one here holds it."""
    away = Away(control["away"]) if control.get("away") else None
    record = record.evolve(
        away=away,
        away_at=control.get("awayAt") if away else None,
        transfer=control.get("transfer"),
        carrier_platform=control.get("carrierPlatform"),
        surrendered_from=control.get("surrenderedFrom"),
    )
    if record.carrier_platform is not None:
        record = record.evolve(carrier=None)
    gone = away in (Away.EXPORTED, Away.TRANSFERRED_OUT)
    if gone or (record.carrier_platform is not None and record.state is not DocState.ISSUED):
        record = record.evolve(holder=None, surrendered_by=None)
    return record


__all__ = ["control_change", "with_control"]
