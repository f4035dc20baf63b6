"""Rows for chaincode records (documents and pickup rights) in the ledger's tables.

A document's common fields are columns; the rest (containers, links, succession, eBL
control, and where control lives when it is on another platform) go in one JSON ``detail``
column, NULL when all are empty, which keeps a batch of plain anchored documents cheap to
write.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.records import Away, DocState, DocumentRecord, PickupRight

DOCUMENT_COLUMNS = "id, kind, issuer, country, state, issued_at, batch, holder, detail"
DocumentRow = tuple[str, str, str, str | None, str, str, str | None, str | None, str | None]


# Members by value: a dict lookup costs a fraction of the enum call, on the path of every
# verification's record; a value that is no member still gets the enum's ValueError.
_KINDS = {kind.value: kind for kind in DocumentKind}
_STATES = {state.value: state for state in DocState}


def kind_of(value: str) -> DocumentKind:
    """``DocumentKind(value)``, faster for a member's value."""
    kind = _KINDS.get(value)
    return DocumentKind(value) if kind is None else kind


def state_of(value: str) -> DocState:
    """``DocState(value)``, faster for a member's value."""
    state = _STATES.get(value)
    return DocState(value) if state is None else state


def _time(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: Any) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def document_to_row(doc: DocumentRecord, issued_at: str | None = None) -> DocumentRow:
    detail = {
        k: v
        for k, v in (
            ("containers", list(doc.containers)),
            ("links", list(doc.links)),
            ("supersedes", doc.supersedes),
            ("supersededBy", doc.superseded_by),
            ("carrier", doc.carrier),
            ("endorsee", doc.endorsee),
            ("toOrder", doc.to_order),
            ("surrenderedBy", doc.surrendered_by),
            ("away", doc.away.value if doc.away else None),
            ("awayAt", doc.away_at),
            ("transfer", doc.transfer),
            ("carrierPlatform", doc.carrier_platform),
            ("surrenderedFrom", doc.surrendered_from),
        )
        if v
    }
    return (
        doc.id,
        doc.kind.value,
        doc.issuer,
        doc.country,
        doc.state.value,
        issued_at or doc.issued_at.isoformat(),
        doc.batch,
        doc.holder,
        json.dumps(detail, separators=(",", ":")) if detail else None,
    )


def document_from_row(row: DocumentRow) -> DocumentRecord:
    doc_id, kind, issuer, country, state, issued_at, batch, holder, detail_json = row
    d = json.loads(detail_json) if detail_json else {}
    return DocumentRecord(
        id=doc_id,
        kind=kind_of(kind),
        issuer=issuer,
        country=country,
        state=state_of(state),
        issued_at=datetime.datetime.fromisoformat(issued_at),
        containers=tuple(d.get("containers", ())),
        links=tuple(d.get("links", ())),
        supersedes=d.get("supersedes"),
        superseded_by=d.get("supersededBy"),
        batch=batch,
        carrier=d.get("carrier"),
        holder=holder,
        endorsee=d.get("endorsee"),
        to_order=bool(d.get("toOrder", False)),
        surrendered_by=d.get("surrenderedBy"),
        away=Away(d["away"]) if "away" in d else None,
        away_at=d.get("awayAt"),
        transfer=d.get("transfer"),
        carrier_platform=d.get("carrierPlatform"),
        surrendered_from=d.get("surrenderedFrom"),
    )


def right_to_json(right: PickupRight) -> str:
    return json.dumps(
        {
            "container": right.container,
            "ebl": right.ebl,
            "holder": right.holder,
            "expires": _time(right.expires),
            "releasedBy": right.released_by,
            "delegations": list(right.delegations),
            "pickedUpAt": _time(right.picked_up_at),
            "pickedUpBy": right.picked_up_by,
            "country": right.country,
            "terminal": right.terminal,
        },
        separators=(",", ":"),
    )


def right_from_json(text: str) -> PickupRight:
    o = json.loads(text)
    expires = _parse_time(o["expires"])
    assert expires is not None
    return PickupRight(
        container=o["container"],
        ebl=o["ebl"],
        holder=o["holder"],
        expires=expires,
        released_by=o["releasedBy"],
        delegations=tuple(o["delegations"]),
        picked_up_at=_parse_time(o["pickedUpAt"]),
        picked_up_by=o["pickedUpBy"],
        # Rights released before pickups were bound to a place carry neither.
        country=o.get("country"),
        terminal=o.get("terminal"),
    )
