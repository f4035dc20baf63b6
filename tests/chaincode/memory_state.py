"""An in-memory state for driving the pure chaincode rules in tests."""

from __future__ import annotations

import datetime
import itertools

from chaincode.lifecycle import Effects, apply
from chaincode.records import Actor, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from identity.roles import Role

T0 = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)

ACTORS = {
    a.id: a
    for a in (
        Actor("cn-gacc", "CN", frozenset({Role.CUSTOMS, Role.QUARANTINE, Role.CO_ISSUER})),
        Actor("cn-ccpit", "CN", frozenset({Role.CO_ISSUER})),
        Actor("cn-cosco", "CN", frozenset({Role.CARRIER})),
        Actor("sg-carrier", "SG", frozenset({Role.CARRIER})),
        Actor("cn-exporter", "CN", frozenset({Role.SHIPPER})),
        Actor("cn-boc", "CN", frozenset({Role.BANK})),
        Actor("sg-importer", "SG", frozenset({Role.CONSIGNEE})),
        Actor("sg-haulier", "SG", frozenset({Role.HAULIER})),
        Actor("sg-psa", "SG", frozenset({Role.TERMINAL})),
        Actor("ru-rosselkhoznadzor", "RU", frozenset({Role.QUARANTINE})),
        Actor("cn-railway", "CN", frozenset({Role.RAIL})),
    )
}


def doc_id(n: int) -> str:
    return f"sha256:{n:064x}"


class MemoryState:
    def __init__(self) -> None:
        self.documents: dict[str, DocumentRecord] = {}
        self.rights: dict[str, PickupRight] = {}
        self._clock = itertools.count()

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.documents.get(doc_id)

    def existing(self, doc_ids) -> list[str]:
        return [d for d in doc_ids if d in self.documents]

    def pickup_right(self, container: str) -> PickupRight | None:
        return self.rights.get(container)

    def party(self, org_id: str) -> Actor | None:
        return ACTORS.get(org_id)

    def run(self, actor: str, op: Op, **fields) -> Effects:
        """Apply a transaction and commit its effects, as a ledger would."""
        fields.setdefault("time", T0 + datetime.timedelta(seconds=next(self._clock)))
        tx = Transaction(op=op, actor=actor, **fields)
        effects = apply(tx, ACTORS[actor], self)
        for d in effects.documents:
            self.documents[d.id] = d
        if effects.batch is not None:
            for digest in effects.batch.digests:
                self.documents[digest] = effects.batch.record(digest)
        for r in effects.rights:
            self.rights[r.container] = r
        return effects
