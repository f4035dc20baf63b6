"""The exclusive-control state machine (``tests.chaincode.invariants``) on each engine, a
shorter run than on the pure rules. Beside the engine, the pure rules run every signed
transaction as an oracle: both must accept or refuse it alike, with the same text, and hold
the same records and rights afterwards; the machine's invariants are checked on the
engine's own reads.

On the fabric engine the oracle also knows the corridors (``FabricDriver``): a record lives
on the smallest channel whose members include its issuing country and its parties', and
only members act on it. Where the rules accept what no corridor holds, or what a country
outside the record's channel does, the engine must refuse it, saying so; everywhere else it
must agree with the rules exactly, across its channels too."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply
from chaincode.records import DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from network.evm.home import deploy
from network.home import Home
from network.node import Node
from tests.chaincode.invariants import ExclusiveControl
from tests.chaincode.memory_state import MemoryState

RUNS = {"embedded": settings(max_examples=20, stateful_step_count=30),
        "evm": settings(max_examples=3, stateful_step_count=20),
        "fabric": settings(max_examples=5, stateful_step_count=25)}  # fmt: skip


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _record(r: DocumentRecord | None) -> tuple[Any, ...] | None:
    """What both engines must agree on (times differ: the chain stamps its blocks)."""
    if r is None:
        return None
    return (
        r.id, r.kind, r.issuer, r.country, r.state, r.holder, r.carrier, r.endorsee,
        r.surrendered_by, r.superseded_by, r.supersedes, r.batch, r.to_order,
        tuple(r.containers),
    )  # fmt: skip


def _right(r: PickupRight | None) -> tuple[Any, ...] | None:
    if r is None:
        return None
    return (
        r.ebl, r.holder, r.released_by, int(r.expires.timestamp()), r.country, r.terminal,
        r.picked_up_by, r.picked_up_at is None, r.delegations,
    )  # fmt: skip


def _text(refusal: Refusal) -> tuple[str, str]:
    # A pickup's or an expiry's time is the block's on the chain, the transaction's here.
    rule = refusal.rule.split(" at 20")[0] if " at 20" in refusal.rule else refusal.rule
    return refusal.kind.value, rule


class EngineDriver:
    """A node on one engine, with the pure rules beside it as the oracle."""

    def __init__(self, node: Node, shift: list[datetime.timedelta], timed: bool) -> None:
        self.node = node
        self.supports_time = timed
        self._shift = shift
        self.oracle = MemoryState(node.identities.party)
        self.last_time = node.clock()

    def now(self) -> datetime.datetime:
        return self.node.clock()

    def submit(self, actor: str, op: Op, **fields: Any) -> Refusal | None:
        signed = self.node.transaction(actor, op, **fields)
        self.last_time = signed.tx.time
        party = self.node.identities.party(actor)
        assert party is not None
        try:
            effects = apply(signed.tx, party, self.oracle)
            expected: Refusal | None = None
        except Refusal as refusal:
            expected = refusal
        try:
            self.node.ledger.submit(signed)
            got: Refusal | None = None
        except Refusal as refusal:
            got = refusal
        if expected is None and got is not None and self.engine_refuses(signed.tx, effects, got):
            return got
        assert (got is None) == (expected is None), (op, fields, got and got.rule, expected)
        if got is not None and expected is not None:
            assert _text(got) == _text(expected), (op, fields)
            return got
        self.oracle.commit(effects)
        self.committed(signed.tx, effects)
        self._agree()
        return None

    def engine_refuses(self, tx: Transaction, effects: Effects, got: Refusal) -> bool:
        """Whether the engine may refuse what the rules accept (and does, as it must)."""
        return False

    def committed(self, tx: Transaction, effects: Effects) -> None:
        """Book an accepted transaction (beyond the oracle's state)."""

    def _agree(self) -> None:
        """The engine holds what the oracle holds, record by record, right by right."""
        for doc_id, by_issuer in self.oracle.records.items():
            assert list(self.node.ledger.issuers(doc_id)) == list(by_issuer)
            for issuer, record in by_issuer.items():
                assert _record(self.node.ledger.document(doc_id, issuer)) == _record(record)
        for container, right in self.oracle.rights.items():
            assert _right(self.node.ledger.pickup_right(container)) == _right(right)

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        return self.node.ledger.document(doc_id, issuer)

    def issuers(self, doc_id: str) -> list[str]:
        return list(self.node.ledger.issuers(doc_id))

    def pickup_right(self, container: str) -> PickupRight | None:
        return self.node.ledger.pickup_right(container)

    def advance(self, seconds: int) -> None:
        self._shift[0] += datetime.timedelta(seconds=seconds)


class FabricDriver(EngineDriver):
    """The corridors, as the oracle knows them: where each record lives, who may act."""

    def __init__(
        self,
        node: Node,
        shift: list[datetime.timedelta],
        channels: dict[str, tuple[str, ...]],
    ) -> None:
        # No time travel: the peers take a proposal only within 15 minutes of their clocks.
        super().__init__(node, shift, timed=False)
        self.channels = channels
        self.where: dict[tuple[str, str], str] = {}  # (digest, issuer) -> channel

    def _country(self, org: str | None) -> str | None:
        party = self.node.identities.party(org) if org else None
        return party.country if party else None

    def _channel(self, tx: Transaction, effects: Effects) -> str | None:
        """The channel an accepted transaction goes to (None: no corridor holds it)."""
        if tx.op in (Op.ISSUE, Op.ANCHOR_BATCH):
            actor = self._country(tx.actor)
            countries = {tx.country or actor, actor, self._country(tx.to)}
            countries |= {self._country(tx.carrier)}
            countries.discard(None)
            fits = [n for n, m in self.channels.items() if countries <= set(m)]
            return min(fits, key=lambda n: (len(self.channels[n]), n)) if fits else None
        if effects.rights:
            right = effects.rights[0]
            return self.where[(right.ebl, right.released_by)]
        old = effects.documents[0]  # the record acted on (an amended one comes first)
        return self.where[(old.id, old.issuer)]

    def engine_refuses(self, tx: Transaction, effects: Effects, got: Refusal) -> bool:
        channel = self._channel(tx, effects)
        if channel is None:
            assert got.kind is RefusalKind.INVALID, got.rule
            assert got.rule.startswith("no corridor channel has all of"), got.rule
            return True
        if self._country(tx.actor) not in self.channels[channel]:
            assert got.kind is RefusalKind.FORBIDDEN, got.rule
            refused = f"Fabric refused {tx.actor}'s proposal on channel {channel}: "
            assert got.rule.startswith(refused), got.rule
            return True
        return False

    def committed(self, tx: Transaction, effects: Effects) -> None:
        channel = self._channel(tx, effects)
        assert channel is not None
        assert self._country(tx.actor) in self.channels[channel], (tx.op, tx.actor, channel)
        for d in effects.documents:
            self.where.setdefault((d.id, d.issuer), channel)
        if effects.batch is not None:
            for digest in effects.batch.digests:
                self.where.setdefault((digest, effects.batch.issuer), channel)


def test_the_invariants_hold_on_the_engine(
    engine: str,
    _attack_home_template: Path,  # noqa: PT019 (its value: the home to copy)
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    examples = iter(range(1_000))
    nodes: list[Node] = []

    def fresh_home() -> Home:
        path = tmp_path / f"home-{next(examples)}"
        shutil.copytree(_attack_home_template, path)
        return Home(path)

    if engine == "evm":
        # One contract for the whole run; every example uses fresh digests and containers.
        url = request.getfixturevalue("anvil")
        home = fresh_home()
        deploy(url, home)
        shift = [datetime.timedelta(0)]
        evm = Node(home, clock=lambda: _now() + shift[0], engine="evm", rpc=url)
        nodes.append(evm)
        head = evm.ledger._chain.w3.eth.get_block("latest")["timestamp"]  # type: ignore[union-attr]
        shift[0] = datetime.datetime.fromtimestamp(int(head), datetime.UTC) - _now()

        def make_driver() -> EngineDriver:
            return EngineDriver(evm, shift, timed=False)

    elif engine == "fabric":
        # One chaincode for the whole run; every example uses fresh digests and containers.
        network = request.getfixturevalue("fabric_network")
        home = request.getfixturevalue("demo_home")
        request.getfixturevalue("fabric_chaincode")
        shift = [datetime.timedelta(0)]
        fabric = Node(home, clock=lambda: _now() + shift[0], engine="fabric")
        nodes.append(fabric)
        channels = dict(network.spec.channels)

        def make_driver() -> EngineDriver:
            return FabricDriver(fabric, shift, channels)

    else:

        def make_driver() -> EngineDriver:
            shift = [datetime.timedelta(0)]
            node = Node(fresh_home(), clock=lambda: _now() + shift[0])
            nodes.append(node)
            return EngineDriver(node, shift, timed=True)

    factory = make_driver

    class OnTheEngine(ExclusiveControl):
        make_driver = staticmethod(factory)
        expiries = (60, 86_400) if engine == "embedded" else (3_600, 86_400)

    try:
        run_state_machine_as_test(
            OnTheEngine,
            settings=settings(
                RUNS[engine],
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            ),
        )
    finally:
        for node in nodes:
            node.close()
