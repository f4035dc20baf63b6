"""The exclusive-control state machine (``tests.chaincode.invariants``) on each engine, a
shorter run than on the pure rules. Beside the engine, the pure rules run every signed
transaction as an oracle: both must accept or refuse it alike, with the same text, and hold
the same records and rights afterwards; the machine's invariants are checked on the
engine's own reads."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from chaincode.lifecycle import Refusal, apply
from chaincode.records import DocumentRecord, PickupRight
from chaincode.transactions import Op
from network.evm.home import deploy
from network.home import Home
from network.node import Node
from tests.chaincode.invariants import ExclusiveControl
from tests.chaincode.memory_state import MemoryState

RUNS = {"embedded": settings(max_examples=20, stateful_step_count=30),
        "evm": settings(max_examples=3, stateful_step_count=20)}  # fmt: skip


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
        assert (got is None) == (expected is None), (op, fields, got and got.rule, expected)
        if got is not None and expected is not None:
            assert _text(got) == _text(expected), (op, fields)
            return got
        self.oracle.commit(effects)
        self._agree()
        return None

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
