"""A stateful property test of exclusive control: a Hypothesis state machine that drives
several eBLs sharing containers, several carriers, terminals and holders in several
countries, and documents and batches anchored by issuers of several countries (the same
digests on purpose), and checks after every step:

- one controller per eBL;
- at most one live pickup right per container (a release never replaces a live right);
- no pickup without a live right naming that holder, at the place the release bound it to;
- no document whose issuer of record is not the organisation that first anchored it;
- refusals change nothing.

The machine runs on a ``Driver``: the pure rules over an in-memory state
(``tests/chaincode/test_invariants.py``), or a node on each engine with the pure rules
beside it as an oracle that must agree on every outcome and every record
(``tests/conformance/test_invariants.py``).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from stdnum import iso6346

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.records import PENDING, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from ledger.admission import batch_root
from tests.chaincode.memory_state import ACTORS, T0, MemoryState

ISSUERS = ["cn-gacc", "cn-ccpit", "sg-chamber", "ru-mallory"]
CARRIERS = ["cn-cosco", "sg-carrier", "ru-mallory"]
HOLDERS = ["cn-exporter", "cn-boc", "sg-importer", "sg-haulier"]
TERMINALS = ["sg-psa", "sg-jurong", "cn-terminal", "ru-terminal"]
COUNTRIES = [None, "CN", "SG", "RU"]
LEGIT = st.sampled_from([True, True, True, False])  # mostly the party allowed to act
AIM = st.sampled_from([True, True, True, False])  # mostly at an eBL, else at any digest
TERMINAL_IN = {"SG": "sg-psa", "CN": "cn-terminal", "RU": "ru-terminal"}
EVERYONE = sorted({*ISSUERS, *CARRIERS, *HOLDERS, *TERMINALS})
_serial = itertools.count(1)


def container_pool(n: int) -> list[str]:
    """``n`` fresh ISO 6346 container numbers (check digit included)."""
    out = []
    for _ in range(n):
        body = f"TDXU{next(_serial) % 1_000_000:06d}"
        out.append(body + iso6346.calc_check_digit(body))
    return out


def digest_pool(n: int) -> list[str]:
    base = next(_serial) << 16
    return [f"sha256:{base + i:064x}" for i in range(n)]


class Driver(Protocol):
    """What the machine acts through and reads from."""

    supports_time: bool
    last_time: datetime.datetime  # the time of the transaction submitted last

    def now(self) -> datetime.datetime: ...

    def submit(self, actor: str, op: Op, **fields: Any) -> Refusal | None:
        """Run a transaction; its refusal, or None if it was accepted."""
        ...

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None: ...

    def issuers(self, doc_id: str) -> Sequence[str]: ...

    def pickup_right(self, container: str) -> PickupRight | None: ...

    def advance(self, seconds: int) -> None: ...


class PureDriver:
    """The chaincode rules over the in-memory state, with their own clock."""

    supports_time = True

    def __init__(self) -> None:
        self.state = MemoryState()
        self._now = T0
        self.last_time = T0

    def now(self) -> datetime.datetime:
        return self._now

    def submit(self, actor: str, op: Op, **fields: Any) -> Refusal | None:
        self._now += datetime.timedelta(seconds=1)
        self.last_time = self._now
        tx = Transaction(op=op, actor=actor, time=self._now, **fields)
        try:
            self.state.run_tx(tx, ACTORS[actor])
        except Refusal as refusal:
            return refusal
        return None

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        return self.state.document(doc_id, issuer)

    def issuers(self, doc_id: str) -> list[str]:
        return self.state.issuers(doc_id)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self.state.pickup_right(container)

    def advance(self, seconds: int) -> None:
        self._now += datetime.timedelta(seconds=seconds)


@dataclass
class Grant:
    """A pickup right as the machine saw it granted."""

    container: str
    ebl: str
    carrier: str
    holder: str
    expires: datetime.datetime
    country: str | None
    terminal: str | None
    picked: bool = False

    def live(self, at: datetime.datetime) -> bool:
        return not self.picked and at < self.expires


@dataclass
class Ghost:
    """What the machine knows happened, independently of the state under test."""

    anchors: dict[str, list[str]] = field(default_factory=dict)  # digest -> issuers, in order
    kinds: dict[tuple[str, str], DocumentKind] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)

    def anchored(self, doc_id: str, issuer: str, kind: DocumentKind) -> None:
        issuers = self.anchors.setdefault(doc_id, [])
        assert issuer not in issuers, f"{issuer} anchored {doc_id} twice"
        issuers.append(issuer)
        self.kinds[(doc_id, issuer)] = kind


def snapshot(driver: Driver, digests: Sequence[str], containers: Sequence[str]) -> object:
    """Everything the machine can see of the state under test."""
    records = tuple((d, i, driver.document(d, i)) for d in digests for i in driver.issuers(d))
    return records, tuple(driver.pickup_right(c) for c in containers)


class ExclusiveControl(RuleBasedStateMachine):
    """The machine; a subclass sets ``make_driver`` (and the pools' sizes)."""

    make_driver: ClassVar[Any] = PureDriver
    n_digests: ClassVar[int] = 5
    n_containers: ClassVar[int] = 3
    expiries: ClassVar[tuple[int, ...]] = (60, 86_400)

    def __init__(self) -> None:
        super().__init__()
        self.d: Driver = self.make_driver()
        self.digests = digest_pool(self.n_digests)
        self.containers = container_pool(self.n_containers)
        self.ghost = Ghost()
        self.seen: list[str] = list(self.digests)

    @initialize(
        carriers=st.lists(st.sampled_from(CARRIERS), min_size=2, max_size=2),
        holders=st.lists(st.sampled_from(HOLDERS), min_size=2, max_size=2),
        shared=st.booleans(),
    )
    def two_ebls_sharing_a_container(
        self, carriers: list[str], holders: list[str], shared: bool
    ) -> None:
        """Every run starts with two eBLs that list the same container (by one carrier or
        two; of one digest, when ``shared``, or two)."""
        for n, (carrier, holder) in enumerate(zip(carriers, holders, strict=True)):
            doc = self.digests[3 if shared else 3 + n]
            containers = [self.containers[0], self.containers[1 + n]]
            self.step(
                carrier,
                Op.ISSUE,
                doc=doc,
                kind=DocumentKind.EBL,
                carrier=carrier,
                to=holder,
                toOrder=True,
                country=ACTORS[carrier].country,
                containers=containers,
            )

    # --- the step every rule takes ------------------------------------------------------

    def step(self, actor: str, op: Op, **fields: Any) -> bool:
        """Submit; on a refusal check that nothing changed. True if accepted."""
        before = snapshot(self.d, self.seen, self.containers)
        rights = {c: self.d.pickup_right(c) for c in self.containers}
        records = {(d, i): self.d.document(d, i) for d in self.seen for i in self.d.issuers(d)}
        refusal = self.d.submit(actor, op, **fields)
        if refusal is not None:
            assert snapshot(self.d, self.seen, self.containers) == before, refusal.rule
            return False
        self.accepted(actor, op, fields, rights, records, self.d.last_time)
        return True

    def accepted(
        self,
        actor: str,
        op: Op,
        fields: dict[str, Any],
        rights: dict[str, PickupRight | None],
        records: dict[tuple[str, str], DocumentRecord | None],
        at: datetime.datetime,
    ) -> None:
        """Book what an accepted step did, and check the per-step rules."""
        ghost = self.ghost
        if op is Op.ISSUE:
            ghost.anchored(fields["doc"], actor, fields["kind"])
        elif op is Op.ANCHOR_BATCH:
            for d in fields["digests"]:
                ghost.anchored(d, actor, fields["kind"])
        elif op in (Op.AMEND, Op.REPLACE):
            old = records.get((fields["doc"], actor))
            assert old is not None, "changed a document it had not anchored"
            ghost.anchored(fields["newDoc"], actor, old.kind)
            if fields["newDoc"] not in self.seen:
                self.seen.append(fields["newDoc"])
        elif op is Op.REVOKE:
            assert records.get((fields["doc"], actor)) is not None
        elif op in (Op.TRANSFER, Op.ENDORSE, Op.SURRENDER):
            ebl = self._addressed(fields, records)
            assert ebl.state is DocState.ISSUED, "acted on an eBL out of control"
            assert ebl.holder == actor, "acted without control"
        elif op in (Op.ACCEPT, Op.REJECT):
            ebl = self._addressed(fields, records)
            assert ebl.state in PENDING, "answered no pending surrender"
            assert ebl.carrier == actor, "a surrender answered by someone else"
        elif op is Op.RELEASE:
            ebl = self._addressed(fields, records)
            assert ebl.carrier == actor
            for c in dict.fromkeys(fields["containers"]):
                previous = rights[c]
                assert previous is None or not previous.live(at), "a live right was replaced"
                before = [g for g in ghost.grants if g.container == c]
                under = [g for g in before if (g.ebl, g.carrier) == (ebl.id, actor)]
                renewal = bool(before) and before[-1] in under and not before[-1].picked
                assert not under or renewal, "released twice under one eBL"
                right = self.d.pickup_right(c)
                assert right is not None
                ghost.grants.append(
                    Grant(
                        c, ebl.id, actor, fields["to"], right.expires, right.country, right.terminal
                    )
                )
        elif op is Op.DELEGATE:
            previous = rights[fields["container"]]
            assert previous is not None
            assert previous.live(at)
            assert previous.holder == actor
            self._live_grant(fields["container"], at).holder = fields["to"]
        elif op is Op.PICKUP:
            previous = rights[fields["container"]]
            assert previous is not None, "picked up without a right"
            assert previous.live(at), "picked up without a live right"
            assert previous.holder == fields["to"], "picked up for someone else"
            terminal = ACTORS[actor]
            assert previous.terminal in (None, actor), "picked up at another terminal"
            assert previous.country in (None, terminal.country), "picked up in another country"
            grant = self._live_grant(fields["container"], at)
            assert grant.holder == fields["to"]
            grant.picked = True

    def _addressed(
        self, fields: dict[str, Any], records: dict[tuple[str, str], DocumentRecord | None]
    ) -> DocumentRecord:
        carrier = fields.get("carrier")
        ebls = [
            r
            for (d, i), r in records.items()
            if d == fields["doc"]
            and r is not None
            and r.kind is DocumentKind.EBL
            and (carrier is None or i == carrier)
        ]
        assert len(ebls) == 1, f"the step addressed {len(ebls)} eBLs"
        return ebls[0]

    def _live_grant(self, container: str, at: datetime.datetime) -> Grant:
        live = [g for g in self.ghost.grants if g.container == container and g.live(at)]
        assert len(live) == 1, f"{len(live)} live grants for {container}"
        return live[0]

    # --- documents ------------------------------------------------------------------------

    @rule(
        what=st.sampled_from(["issue", "batch", "supersede", "revoke"]),
        actor=st.sampled_from([*ISSUERS, "cn-cosco"]),
        i=st.integers(0, 4),
        j=st.integers(0, 4),
        picks=st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True),
        phyto=st.booleans(),
        country=st.sampled_from(COUNTRIES),
    )
    def document(
        self,
        what: str,
        actor: str,
        i: int,
        j: int,
        picks: list[int],
        phyto: bool,
        country: str | None,
    ) -> None:
        """Issue, batch, amend or replace, revoke: the same digests by several issuers."""
        doc = self.digests[i % len(self.digests)]
        if what == "issue":
            kind = DocumentKind.PHYTO if phyto else DocumentKind.CO
            self.step(actor, Op.ISSUE, doc=doc, kind=kind, country=country)
        elif what == "batch":
            digests = list(dict.fromkeys(self.digests[p % len(self.digests)] for p in picks))
            self.step(
                actor,
                Op.ANCHOR_BATCH,
                doc=batch_root(digests),
                digests=digests,
                kind=DocumentKind.CO,
                country=country,
            )
        elif what == "supersede":
            op = Op.REPLACE if phyto else Op.AMEND
            new = self.digests[j % len(self.digests)]
            self.step(actor, op, doc=doc, newDoc=new, reason="fix", country=country)
        else:
            self.step(actor, Op.REVOKE, doc=doc, reason="withdrawn")

    # --- eBLs -----------------------------------------------------------------------------

    @rule(
        actor=st.sampled_from([*CARRIERS, "cn-gacc"]),
        i=st.integers(0, 4),
        holder=st.sampled_from([*HOLDERS, *CARRIERS]),
        picks=st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        to_order=st.booleans(),
        own_country=st.booleans(),
    )
    def issue_ebl(
        self, actor: str, i: int, holder: str, picks: list[int], to_order: bool, own_country: bool
    ) -> None:
        country = ACTORS[actor].country if own_country else None
        self.step(
            actor,
            Op.ISSUE,
            doc=self.digests[i % len(self.digests)],
            kind=DocumentKind.EBL,
            carrier=actor,
            to=holder,
            toOrder=to_order,
            country=country,
            containers=[self.containers[p] for p in picks],
        )

    # The eBL rules act as the party the state lets act when ``legit`` (so that deep
    # sequences happen: two eBLs sharing a container, both surrendered and released), and
    # as whoever was drawn otherwise (so that refusals happen too).

    def _ebl(self, i: int, *states: DocState) -> DocumentRecord | None:
        """The ``i``-th eBL anchored so far (cyclically) of those in one of ``states``
        (of all, if none is), as the state holds it now."""
        keys = [key for key, kind in self.ghost.kinds.items() if kind is DocumentKind.EBL]
        ebls = [r for d, issuer in keys if (r := self.d.document(d, issuer)) is not None]
        ready = [r for r in ebls if r.state in states] or ebls
        return ready[i % len(ready)] if ready else None

    @rule(
        actor=st.sampled_from([*HOLDERS, *CARRIERS]),
        i=st.integers(0, 4),
        to=st.sampled_from(HOLDERS),
        endorse=st.booleans(),
        carrier=st.sampled_from([None, *CARRIERS]),
        legit=LEGIT,
        aim=AIM,
    )
    def transfer(
        self,
        actor: str,
        i: int,
        to: str,
        endorse: bool,
        carrier: str | None,
        legit: bool,
        aim: bool,
    ) -> None:
        doc = self.digests[i % len(self.digests)]
        ebl = self._ebl(i, DocState.ISSUED)
        if aim and ebl is not None:
            carrier, doc = ebl.issuer, ebl.id
            actor = ebl.holder if legit and ebl.holder else actor
        op = Op.ENDORSE if endorse else Op.TRANSFER
        self.step(actor, op, doc=doc, to=to, carrier=carrier)

    @rule(
        actor=st.sampled_from([*HOLDERS, *CARRIERS]),
        i=st.integers(0, 4),
        delivery=st.sampled_from([True, True, False]),
        carrier=st.sampled_from([None, *CARRIERS]),
        legit=LEGIT,
        aim=AIM,
    )
    def surrender(
        self, actor: str, i: int, delivery: bool, carrier: str | None, legit: bool, aim: bool
    ) -> None:
        doc = self.digests[i % len(self.digests)]
        ebl = self._ebl(i, DocState.ISSUED)
        if aim and ebl is not None:
            carrier, doc = ebl.issuer, ebl.id
            actor = ebl.holder if legit and ebl.holder else actor
        purpose = "delivery" if delivery else "amendment"
        self.step(actor, Op.SURRENDER, doc=doc, purpose=purpose, carrier=carrier)

    @rule(i=st.integers(0, 4), delivery=st.sampled_from([True, True, False]))
    def surrender_and_accept(self, i: int, delivery: bool) -> None:
        """A holder's surrender and its carrier's acceptance, as two steps: the journey to a
        release is long, and this keeps it within reach of a run."""
        ebl = self._ebl(i, DocState.ISSUED)
        if ebl is None or ebl.holder is None or ebl.carrier is None:
            return
        purpose = "delivery" if delivery else "amendment"
        if self.step(ebl.holder, Op.SURRENDER, doc=ebl.id, purpose=purpose, carrier=ebl.issuer):
            self.step(ebl.carrier, Op.ACCEPT, doc=ebl.id, carrier=ebl.issuer)

    @rule(
        actor=st.sampled_from([*CARRIERS, "cn-boc"]),
        i=st.integers(0, 4),
        accept=st.booleans(),
        carrier=st.sampled_from([None, *CARRIERS]),
        legit=LEGIT,
        aim=AIM,
    )
    def answer(
        self, actor: str, i: int, accept: bool, carrier: str | None, legit: bool, aim: bool
    ) -> None:
        doc = self.digests[i % len(self.digests)]
        ebl = self._ebl(i, *PENDING)
        if aim and ebl is not None:
            carrier, doc = ebl.issuer, ebl.id
            actor = ebl.issuer if legit else actor
        if accept:
            self.step(actor, Op.ACCEPT, doc=doc, carrier=carrier)
        else:
            self.step(actor, Op.REJECT, doc=doc, reason="no", carrier=carrier)

    @rule(
        actor=st.sampled_from(CARRIERS),
        i=st.integers(0, 4),
        j=st.integers(0, 4),
        picks=st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        country=st.sampled_from(COUNTRIES),
    )
    def amend_ebl(self, actor: str, i: int, j: int, picks: list[int], country: str | None) -> None:
        self.step(
            actor,
            Op.AMEND,
            doc=self.digests[i % len(self.digests)],
            newDoc=self.digests[j % len(self.digests)],
            kind=DocumentKind.EBL,
            reason="fix",
            toOrder=True,
            country=country,
            containers=[self.containers[p] for p in picks],
        )

    @rule(
        actor=st.sampled_from(CARRIERS),
        i=st.integers(0, 4),
        picks=st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        to=st.sampled_from(HOLDERS),
        place=st.sampled_from([None, *TERMINALS, "CN", "SG"]),
        expiry=st.integers(0, 1),
        carrier=st.sampled_from([None, *CARRIERS]),
        legit=LEGIT,
    )
    def release(
        self,
        actor: str,
        i: int,
        picks: list[int],
        to: str,
        place: str | None,
        expiry: int,
        carrier: str | None,
        legit: bool,
    ) -> None:
        containers = [self.containers[p] for p in picks]
        doc = self.digests[i % len(self.digests)]
        ebl = self._ebl(i, DocState.SURRENDERED_FOR_DELIVERY)
        if legit and ebl is not None and ebl.state is DocState.ISSUED and ebl.holder:
            # Take it there first: its holder surrenders it for delivery, its carrier accepts.
            delivered = ebl.id, ebl.issuer
            if self.step(
                ebl.holder, Op.SURRENDER, doc=ebl.id, purpose="delivery", carrier=ebl.issuer
            ):
                self.step(ebl.issuer, Op.ACCEPT, doc=ebl.id, carrier=ebl.issuer)
            ebl = self.d.document(*delivered)
        if ebl is not None and ebl.carrier is not None and ebl.containers:
            # At an eBL always; by its carrier when legit, else by the carrier drawn.
            carrier, doc = ebl.issuer, ebl.id
            actor = ebl.carrier if legit else actor
            chosen = [ebl.containers[p % len(ebl.containers)] for p in picks]
            containers = list(dict.fromkeys([ebl.containers[0], *chosen]))
        bound: dict[str, Any] = {}
        if place in TERMINALS:
            bound["terminal"] = place
        elif place is not None:
            bound["country"] = place
        expires = self.d.now() + datetime.timedelta(seconds=self.expiries[expiry])
        self.step(
            actor,
            Op.RELEASE,
            doc=doc,
            containers=containers,
            to=to,
            expires=expires,
            carrier=carrier,
            **bound,
        )

    @rule(
        actor=st.sampled_from(HOLDERS),
        c=st.integers(0, 2),
        to=st.sampled_from(HOLDERS),
        legit=LEGIT,
    )
    def delegate(self, actor: str, c: int, to: str, legit: bool) -> None:
        right = self.d.pickup_right(self.containers[c])
        if legit and right is not None:
            actor = right.holder
        self.step(actor, Op.DELEGATE, container=self.containers[c], to=to)

    @rule(
        actor=st.sampled_from([*TERMINALS, "sg-haulier"]),
        c=st.integers(0, 2),
        holder=st.sampled_from([None, *HOLDERS]),
        legit=LEGIT,
    )
    def pickup(self, actor: str, c: int, holder: str | None, legit: bool) -> None:
        right = self.d.pickup_right(self.containers[c])
        if legit and right is not None:
            holder = right.holder
            actor = right.terminal or TERMINAL_IN.get(right.country or "", actor)
        self.step(actor, Op.PICKUP, container=self.containers[c], to=holder)

    @rule(
        i=st.integers(0, 4),
        to=st.sampled_from(HOLDERS),
        place=st.sampled_from([None, *TERMINALS]),
        expiry=st.integers(0, 1),
    )
    def release_the_shared_container(self, i: int, to: str, place: str | None, expiry: int) -> None:
        """A release of the container both starting eBLs list, by the eBL's carrier."""
        self.release(self.d_carrier(i), i, [0], to, place, expiry, None, True)

    @rule(c=st.integers(0, 2), impostor=st.booleans(), elsewhere=st.booleans())
    def pickup_at_the_gate(self, c: int, impostor: bool, elsewhere: bool) -> None:
        """At a terminal where the right may be used (or, ``elsewhere``, at another terminal
        of that country): its holder, or (``impostor``) someone else."""
        right = self.d.pickup_right(self.containers[c])
        if right is None:
            return
        terminal = right.terminal or TERMINAL_IN.get(right.country or "", "sg-psa")
        if elsewhere:
            country = ACTORS[terminal].country
            others = [t for t in TERMINALS if ACTORS[t].country == country and t != terminal]
            terminal = others[0] if others else terminal
        holder = right.holder
        if impostor:
            holder = next(h for h in HOLDERS if h != right.holder)
        self.step(terminal, Op.PICKUP, container=self.containers[c], to=holder)

    def d_carrier(self, i: int) -> str:
        ebl = self._ebl(i, DocState.SURRENDERED_FOR_DELIVERY)
        return ebl.issuer if ebl is not None else CARRIERS[0]

    @precondition(lambda self: self.d.supports_time)
    @rule(seconds=st.sampled_from([30, 120, 7200]))
    def advance(self, seconds: int) -> None:
        self.d.advance(seconds)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def one_controller_per_ebl(self) -> None:
        for (d, issuer), kind in self.ghost.kinds.items():
            if kind is not DocumentKind.EBL:
                continue
            ebl = self.d.document(d, issuer)
            assert ebl is not None
            assert ebl.kind is DocumentKind.EBL
            assert ebl.holder is not None, ebl
            assert ebl.holder in ACTORS, ebl
            if ebl.state in PENDING or ebl.state in PENDING.values():
                assert ebl.holder == ebl.carrier  # the carrier controls it after a surrender

    @invariant()
    def issuer_of_record_is_who_anchored_first(self) -> None:
        for d, issuers in self.ghost.anchors.items():
            assert list(self.d.issuers(d)) == issuers
            first = self.d.document(d)
            assert first is not None
            assert first.issuer == issuers[0]
            for issuer in issuers:
                record = self.d.document(d, issuer)
                assert record is not None
                assert record.issuer == issuer
                assert record.kind is self.ghost.kinds[(d, issuer)]
        for d in self.seen:
            if d not in self.ghost.anchors:
                assert self.d.document(d) is None
                assert not self.d.issuers(d)

    @invariant()
    def at_most_one_live_right_per_container(self) -> None:
        now = self.d.now()
        for c in self.containers:
            live = [g for g in self.ghost.grants if g.container == c and g.live(now)]
            assert len(live) <= 1, f"{len(live)} live rights for {c}"
            right = self.d.pickup_right(c)
            if live:
                assert right is not None
                assert (right.ebl, right.released_by, right.holder) == (
                    live[0].ebl,
                    live[0].carrier,
                    live[0].holder,
                )


__all__ = ["CARRIERS", "Driver", "ExclusiveControl", "PureDriver", "container_pool"]
