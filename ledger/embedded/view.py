"""The chaincode's read-only view of the embedded ledger's state
(``chaincode.lifecycle.StateView``) on one SQLite connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from chaincode.rail.consignment import RouteRecord
from chaincode.rail.events import RecordedEvent
from chaincode.records import Actor, DocumentRecord, PickupRight
from ledger.embedded import rail_tables
from ledger.interface import Identities
from ledger.records_codec import DOCUMENT_COLUMNS, document_from_row, right_from_json


class SqlView:
    """The chaincode's read-only view (``chaincode.lifecycle.StateView``) on one
    connection: the writer's, inside its open transaction, or a reader's."""

    def __init__(self, db: sqlite3.Connection, identities: Identities) -> None:
        self._db = db
        self._identities = identities

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        if issuer is None:
            row = self._db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = ? "  # noqa: S608
                "ORDER BY entry LIMIT 1",
                (doc_id,),
            ).fetchone()
        else:
            row = self._db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = ? AND issuer = ?",  # noqa: S608
                (doc_id, issuer),
            ).fetchone()
        return None if row is None else document_from_row(row)

    def issuers(self, doc_id: str) -> list[str]:
        return [
            str(r[0])
            for r in self._db.execute(
                "SELECT issuer FROM documents WHERE id = ? ORDER BY entry", (doc_id,)
            )
        ]

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        found: list[str] = []
        for start in range(0, len(doc_ids), 500):  # SQLite's bound-parameter limit
            chunk = doc_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += [
                str(r[0])
                for r in self._db.execute(
                    f"SELECT id FROM documents WHERE issuer = ? AND id IN ({marks})",  # noqa: S608
                    (issuer, *chunk),
                )
            ]
        return found

    def pickup_right(self, container: str) -> PickupRight | None:
        row = self._db.execute(
            "SELECT record FROM rights WHERE container = ?", (container,)
        ).fetchone()
        return None if row is None else right_from_json(row[0])

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM released WHERE container = ? AND ebl = ? AND carrier = ?",
            (container, ebl, carrier),
        ).fetchone()
        return row is not None

    def party(self, org_id: str) -> Actor | None:
        return self._identities.party(org_id)

    def rail_route(self, doc_id: str) -> RouteRecord | None:
        return rail_tables.route_of(self._db, doc_id)

    def rail_events(self, doc_id: str) -> list[RecordedEvent]:
        return rail_tables.events_of(self._db, doc_id)

    def issuer_of(self, doc_id: str, issuer: str | None) -> str | None:
        """The issuer of the record a query about ``doc_id`` means: ``issuer`` itself, or
        (None) the issuer of the digest's first record."""
        if issuer is not None:
            return issuer
        row = self._db.execute(
            "SELECT issuer FROM documents WHERE id = ? ORDER BY entry LIMIT 1", (doc_id,)
        ).fetchone()
        return None if row is None else str(row[0])


__all__ = ["SqlView"]
