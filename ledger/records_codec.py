"""JSON rows for chaincode records (documents and pickup rights) in the ledger's tables."""

from __future__ import annotations

import datetime
import json
from typing import Any

from chaincode.documents.registry import DocumentKind
from chaincode.records import DocState, DocumentRecord, PickupRight


def _time(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: Any) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def document_to_json(doc: DocumentRecord) -> str:
    return json.dumps(
        {
            "id": doc.id,
            "kind": doc.kind.value,
            "issuer": doc.issuer,
            "country": doc.country,
            "state": doc.state.value,
            "issuedAt": _time(doc.issued_at),
            "containers": list(doc.containers),
            "links": list(doc.links),
            "supersedes": doc.supersedes,
            "supersededBy": doc.superseded_by,
            "batch": doc.batch,
            "carrier": doc.carrier,
            "holder": doc.holder,
            "endorsee": doc.endorsee,
            "toOrder": doc.to_order,
            "surrenderedBy": doc.surrendered_by,
        },
        separators=(",", ":"),
    )


def document_from_json(text: str) -> DocumentRecord:
    o = json.loads(text)
    issued = _parse_time(o["issuedAt"])
    assert issued is not None
    return DocumentRecord(
        id=o["id"],
        kind=DocumentKind(o["kind"]),
        issuer=o["issuer"],
        country=o["country"],
        state=DocState(o["state"]),
        issued_at=issued,
        containers=tuple(o["containers"]),
        links=tuple(o["links"]),
        supersedes=o["supersedes"],
        superseded_by=o["supersededBy"],
        batch=o["batch"],
        carrier=o["carrier"],
        holder=o["holder"],
        endorsee=o["endorsee"],
        to_order=o["toOrder"],
        surrendered_by=o["surrenderedBy"],
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
    )
