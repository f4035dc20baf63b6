"""An in-memory state for driving the pure chaincode rules in tests: the StateView the rules
read, and the commit of their effects as a ledger would do it."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Mapping, Sequence

from chaincode.lifecycle import Effects, apply
from chaincode.rail.consignment import RouteRecord
from chaincode.rail.events import RecordedEvent
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
        Actor("sg-jurong", "SG", frozenset({Role.TERMINAL})),
        Actor("cn-yangshan", "CN", frozenset({Role.TERMINAL})),
        Actor("ru-rosselkhoznadzor", "RU", frozenset({Role.QUARANTINE})),
        Actor("ru-exporter", "RU", frozenset({Role.CO_ISSUER, Role.CARRIER})),
        Actor("ru-terminal", "RU", frozenset({Role.TERMINAL})),
        Actor("sg-customs", "SG", frozenset({Role.CO_ISSUER})),
        # As tests.conformance.attackers certifies them, so one state machine runs on both.
        Actor("ru-mallory", "RU", frozenset({Role.CO_ISSUER, Role.CARRIER, Role.QUARANTINE})),
        Actor("sg-chamber", "SG", frozenset({Role.CO_ISSUER})),
        Actor("cn-terminal", "CN", frozenset({Role.TERMINAL})),
        Actor("cn-railway", "CN", frozenset({Role.RAIL})),
    )
}


def doc_id(n: int) -> str:
    return f"sha256:{n:064x}"


class MemoryState:
    """Records keyed by (digest, issuer), the first anchored first; rights by container."""

    def __init__(self, parties: Callable[[str], Actor | None] | None = None) -> None:
        self.records: dict[str, dict[str, DocumentRecord]] = {}
        self.rights: dict[str, PickupRight] = {}
        self.released: set[tuple[str, str, str]] = set()
        self.routes: dict[str, RouteRecord] = {}
        self.events: dict[str, list[RecordedEvent]] = {}
        self._parties = parties or ACTORS.get
        self._clock = itertools.count()

    @property
    def documents(self) -> Mapping[str, DocumentRecord]:
        """Each digest's first record: what ``document(digest)`` answers."""
        return {d: next(iter(by.values())) for d, by in self.records.items()}

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        by = self.records.get(doc_id, {})
        if issuer is None:
            return next(iter(by.values()), None)
        return by.get(issuer)

    def issuers(self, doc_id: str) -> list[str]:
        return list(self.records.get(doc_id, {}))

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return [d for d in doc_ids if issuer in self.records.get(d, {})]

    def pickup_right(self, container: str) -> PickupRight | None:
        return self.rights.get(container)

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return (container, ebl, carrier) in self.released

    def party(self, org_id: str) -> Actor | None:
        return self._parties(org_id)

    def rail_route(self, doc_id: str) -> RouteRecord | None:
        return self.routes.get(doc_id)

    def rail_events(self, doc_id: str) -> list[RecordedEvent]:
        return list(self.events.get(doc_id, []))

    def commit(self, effects: Effects) -> None:
        for d in effects.documents:
            self.records.setdefault(d.id, {})[d.issuer] = d
        if effects.batch is not None:
            for digest in effects.batch.digests:
                record = effects.batch.record(digest)
                self.records.setdefault(digest, {})[record.issuer] = record
        for r in effects.rights:
            self.rights[r.container] = r
            self.released.add((r.container, r.ebl, r.released_by))
        if effects.rail_route is not None:
            self.routes[effects.rail_route.doc] = effects.rail_route
        for e in effects.rail_events:
            self.events.setdefault(e.doc, []).append(e.recorded)

    def run_tx(self, tx: Transaction, actor: Actor | None = None) -> Effects:
        effects = apply(tx, actor or self.party(tx.actor) or ACTORS[tx.actor], self)
        self.commit(effects)
        return effects

    def run(self, actor: str, op: Op, **fields: object) -> Effects:
        """Apply a transaction and commit its effects, as a ledger would."""
        fields.setdefault("time", T0 + datetime.timedelta(seconds=next(self._clock)))
        tx = Transaction(op=op, actor=actor, **fields)  # type: ignore[arg-type]
        return self.run_tx(tx)
