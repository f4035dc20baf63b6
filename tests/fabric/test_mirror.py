"""The engine's index and its mirror of the channels' state, without a network: the
chaincode's events, as ``ledger.fabric.contract.event_body`` makes them, fed into a
``FabricIndex`` on two channels; the mirror read as the rules read state must be the pure
rules' own state, across its channels, step by step of the exclusive-control machine."""

from __future__ import annotations

import datetime
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Effects, Refusal, apply
from chaincode.records import DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from identity import keys
from identity.keys import KeyType
from identity.tx_keys import TxSigner
from ledger.fabric.contract import event_body
from ledger.fabric.index import LAYOUT, FabricIndex
from ledger.fabric.mirror import MirrorView
from ledger.signed_tx import sign
from tests.chaincode.invariants import ExclusiveControl
from tests.chaincode.memory_state import ACTORS, T0, MemoryState

SIGNER = TxSigner(keys.generate(KeyType.SECP256K1))
CHANNEL_OF = {"CN": "cn-sg", "SG": "cn-sg", "RU": "cn-kz-ru"}  # a new record's channel


class MirrorDriver:
    """The pure rules as the oracle; the index's mirror as the state under test. Each
    accepted transaction becomes its event on a channel: a new record's by its actor's
    country, a change where the record it changes is."""

    supports_time = True

    def __init__(self, path: Path) -> None:
        self.index = FabricIndex(path)
        self.view = MirrorView(self.index, ACTORS.get)
        self.oracle = MemoryState()
        self.where: dict[tuple[str, str], str] = {}
        self._now = T0
        self.last_time = T0
        self._blocks = itertools.count()

    def now(self) -> datetime.datetime:
        return self._now

    def submit(self, actor: str, op: Op, **fields: Any) -> Refusal | None:
        self._now += datetime.timedelta(seconds=1)
        self.last_time = self._now
        tx = Transaction(op=op, actor=actor, time=self._now, **fields)
        outcomes = []
        for view in (self.oracle, self.view):
            try:
                outcomes.append(apply(tx, ACTORS[actor], view))
            except Refusal as refusal:
                outcomes.append(refusal)
        expected, got = outcomes
        if isinstance(expected, Refusal) or isinstance(got, Refusal):
            assert isinstance(got, Refusal), (tx, expected)
            assert isinstance(expected, Refusal), (tx, got)
            assert (got.kind, got.rule) == (expected.kind, expected.rule)
            return got
        assert isinstance(expected, Effects)
        self.oracle.commit(expected)
        channel = self._channel(tx, expected)
        signed = sign(tx, "sha256:test", SIGNER)
        self.index.apply_block(
            channel, next(self._blocks), [(signed.id, event_body(signed, expected))]
        )
        self._agree()
        return None

    def _channel(self, tx: Transaction, effects: Effects) -> str:
        if tx.op in (Op.ISSUE, Op.ANCHOR_BATCH):
            channel = CHANNEL_OF[ACTORS[tx.actor].country]
        elif effects.rights:
            channel = self.where[(effects.rights[0].ebl, effects.rights[0].released_by)]
        else:
            channel = self.where[(effects.documents[0].id, effects.documents[0].issuer)]
        for d in effects.documents:
            self.where.setdefault((d.id, d.issuer), channel)
        if effects.batch is not None:
            for digest in effects.batch.digests:
                self.where.setdefault((digest, effects.batch.issuer), channel)
        return channel

    def _agree(self) -> None:
        for doc_id, by_issuer in self.oracle.records.items():
            assert self.view.issuers(doc_id) == list(by_issuer)
            for issuer, record in by_issuer.items():
                assert self.view.document(doc_id, issuer) == record
        for container, right in self.oracle.rights.items():
            assert self.view.pickup_right(container) == right
        for released in self.oracle.released:
            assert self.view.released_under(*released)

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        return self.view.document(doc_id, issuer)

    def issuers(self, doc_id: str) -> list[str]:
        return self.view.issuers(doc_id)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self.view.pickup_right(container)

    def advance(self, seconds: int) -> None:
        self._now += datetime.timedelta(seconds=seconds)


def test_the_mirror_of_two_channels_is_the_rules_state(tmp_path: Path) -> None:
    paths = (tmp_path / f"index-{n}.db" for n in itertools.count())

    class OnTheMirror(ExclusiveControl):
        make_driver = staticmethod(lambda: MirrorDriver(next(paths)))

    run_state_machine_as_test(
        OnTheMirror,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_a_digest_anchored_on_two_channels_is_first_where_it_was_seen_first(
    tmp_path: Path,
) -> None:
    driver = MirrorDriver(tmp_path / "index.db")
    doc = f"sha256:{7:064x}"
    assert driver.submit("ru-mallory", Op.ISSUE, doc=doc, kind=DocumentKind.CO) is None
    assert driver.submit("cn-gacc", Op.ISSUE, doc=doc, kind=DocumentKind.CO, country="CN") is None
    index = driver.index
    assert index.issuers(doc) == ["ru-mallory", "cn-gacc"]
    assert index.issuers(doc, "cn-sg") == ["cn-gacc"]
    assert index.channel_of_record(doc, "ru-mallory") == "cn-kz-ru"
    assert index.channel_of(doc) == "cn-kz-ru"
    # Each channel's chaincode sees only its own record; the mirror of both refuses what
    # the rules refuse on the whole state.
    revoke = Transaction(op=Op.REVOKE, actor="sg-chamber", time=T0, doc=doc, reason="x")
    on_sg = MirrorView(index, ACTORS.get, "cn-sg")
    for view, first in ((driver.view, "ru-mallory"), (on_sg, "cn-gacc")):
        with pytest.raises(Refusal) as caught:
            apply(revoke, ACTORS["sg-chamber"], view)
        assert caught.value.rule == f"only its issuer of record ({first}) revokes document {doc}"


def test_an_index_of_the_first_layout_is_emptied_and_read_again(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE documents (id TEXT PRIMARY KEY, channel TEXT NOT NULL, row TEXT NOT NULL,"
        " holder TEXT);"
        "INSERT INTO meta VALUES ('cursor:cn-sg', '42'), ('chaincode', 'tdx');"
        "INSERT INTO documents VALUES ('sha256:00', 'cn-sg', '[]', NULL);"
    )
    old.commit()
    old.close()
    index = FabricIndex(path)
    try:
        assert index.cursor("cn-sg") == 0  # the follower reads the channel again
        assert index.meta("chaincode") == "tdx"
        assert index.meta("layout") == LAYOUT
        tables = {r[0] for r in index.db.execute("SELECT name FROM sqlite_master")}
        assert "documents" not in tables
        assert {"anchors", "records", "rights", "released", "signers"} <= tables
    finally:
        index.close()


def test_a_live_right_on_one_channel_refuses_a_release_on_another(tmp_path: Path) -> None:
    """Two carriers' eBLs on two channels list one container: each chaincode sees only its
    own channel's right, the mirror of both the one live right."""
    driver = MirrorDriver(tmp_path / "index.db")
    container = "CXRU1523418"
    ebls = {"cn-cosco": f"sha256:{11:064x}", "ru-mallory": f"sha256:{12:064x}"}
    for carrier, doc in ebls.items():
        for op, fields in (
            (Op.ISSUE, {"kind": DocumentKind.EBL, "to": "cn-exporter",
                        "country": ACTORS[carrier].country, "containers": [container]}),
            (Op.SURRENDER, {"purpose": "delivery"}),
            (Op.ACCEPT, {}),
        ):  # fmt: skip
            actor = "cn-exporter" if op is Op.SURRENDER else carrier
            assert driver.submit(actor, op, doc=doc, carrier=carrier, **fields) is None
    expires = T0 + datetime.timedelta(days=2)
    release = {"containers": [container], "to": "cn-exporter", "expires": expires}
    assert driver.submit("cn-cosco", Op.RELEASE, doc=ebls["cn-cosco"], **release) is None
    assert driver.where[(ebls["ru-mallory"], "ru-mallory")] == "cn-kz-ru"
    tx = Transaction(
        op=Op.RELEASE, actor="ru-mallory", time=driver.now(), doc=ebls["ru-mallory"], **release
    )
    on_its_channel = MirrorView(driver.index, ACTORS.get, "cn-kz-ru")
    assert apply(tx, ACTORS["ru-mallory"], on_its_channel).rights  # its chaincode would accept
    refusal = driver.submit("ru-mallory", Op.RELEASE, doc=ebls["ru-mallory"], **release)
    assert refusal is not None
    assert (
        refusal.rule
        == f"container {container} has a live pickup right under eBL {ebls['cn-cosco']}"
    )
