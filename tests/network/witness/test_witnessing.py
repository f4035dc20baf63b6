"""Three real nodes on loopback: each commits to its embedded ledger, submits its checkpoints
to the other two (C2SP tlog-witness over HTTP) and serves them with their cosignatures."""

import time

import httpx

from api.http.app import create_app
from api.http.serving import serving
from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from ledger.tlog import checkpoint, cosignature
from network.config import NodeConfig
from network.node import Node
from network.witness import (
    Witnessing,
    WitnessPeer,
    descriptor_fields,
    register_peers,
    witness_key_of,
    witnessed_logs,
    witnesses,
    witnesses_of,
)
from network.witness.store import WitnessStore
from tests.network.witness.conftest import running

CO = {"kind": DocumentKind.CO, "country": "CN"}


def commit(node, n: int):
    return node.submit("cn-gacc", Op.ISSUE, doc=f"sha256:{n:064x}", **CO)


def publish(me, **kw):
    runner = Witnessing(me.home, me.node.provable, me.node.clock, **kw)
    try:
        return runner.run_once(gossiping=False)
    finally:
        runner.stop()


def latest(me) -> dict:
    return httpx.get(me.url + "/v1/checkpoints/latest").json()


def test_a_nodes_checkpoint_is_cosigned_by_its_peers_and_served_with_their_cosignatures(homes):
    with running(homes) as nodes:
        cn = nodes["CN"]
        for n in range(3):
            commit(cn.node, n)
        assert witnesses(cn.node) == []  # what tdx network status shows: none yet
        result = publish(cn)
        assert sorted((s.witness, s.outcome, s.size) for s in result.submissions) == [
            ("KZ", "cosigned", 3),
            ("RU", "cosigned", 3),
        ]
        served = latest(cn)
        # Backwards compatible: the same fields, the note now carrying three signatures.
        assert served["origin"] == cn.home.setting("origin")
        assert checkpoint.open_note(served["checkpoint"], served["key"]).size == 3
        for name in ("RU", "KZ"):
            found = cosignature.verify(served["checkpoint"], witness_key_of(homes[name]))
            assert found.checkpoint.size == 3
        assert sorted(w["name"] for w in served["witnesses"]) == ["KZ", "RU"]
        assert served["witnessed"]["size"] == 3
        # Each witness holds what it cosigned, for CN's origin.
        for name in ("RU", "KZ"):
            (log,) = [w for w in witnessed_logs(homes[name]) if w.name == "CN"]
            assert log.cosigned_size == 3
            assert log.evidence == 0
        assert {w.name: w.cosigned_size for w in witnesses_of(cn.home)} == {"KZ": 3, "RU": 3}
        assert witnesses(cn.node) == ["KZ", "RU"]


def test_later_checkpoints_go_with_consistency_proofs_from_the_real_ledger(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn, ru = nodes["CN"], nodes["RU"]
        commit(cn.node, 0)
        assert publish(cn).submissions[0].outcome == "cosigned"
        for n in range(1, 12):
            commit(cn.node, n)
            (sub,) = publish(cn).submissions
            assert (sub.outcome, sub.size, sub.attempts) == ("cosigned", n + 1, 1)
        store = WitnessStore.of_home(ru.home.path)
        try:
            assert store.held(cn.home.setting("origin")).size == 12
        finally:
            store.close()
        # Nothing new: no request at all.
        (sub,) = publish(cn).submissions
        assert sub.outcome == "up-to-date"
        assert sub.attempts == 0


def test_a_log_that_lost_track_follows_the_409_to_the_witnesses_size(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn = nodes["CN"]
        for n in range(5):
            commit(cn.node, n)
        publish(cn)
        commit(cn.node, 5)
        store = WitnessStore.of_home(cn.home.path)
        try:
            store._db.execute("DELETE FROM submissions")  # as if the log forgot (old size 0)
        finally:
            store.close()
        (sub,) = publish(cn).submissions
        assert (sub.outcome, sub.size, sub.attempts) == ("cosigned", 6, 2)


def test_an_unreachable_witness_is_retried_a_bounded_number_of_times(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn = nodes["CN"]
        ru_url = nodes["RU"].url
    # RU is down now; CN's own ledger still commits without waiting for anyone.
    with running(homes, ("CN",)) as nodes:
        cn = nodes["CN"]
        register_peers(
            cn.home,
            [
                WitnessPeer.from_descriptor(
                    {"name": "RU", "baseUrl": ru_url, **descriptor_fields(homes["RU"])}
                )
            ],
        )
        started = time.monotonic()
        commit(cn.node, 0)
        assert time.monotonic() - started < 5
        (sub,) = publish(cn, attempts=3, backoff=0.01).submissions
        assert (sub.outcome, sub.attempts) == ("unreachable", 3)
        (state,) = witnesses_of(cn.home)
        assert state.cosigned_size is None
        assert "ConnectError" in (state.error or "")


def test_the_background_submitter_cosigns_after_a_commit(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn = nodes["CN"]
        runner = Witnessing(cn.home, cn.node.provable, cn.node.clock, interval=30)
        runner.start()
        try:
            commit(cn.node, 0)
            runner.notify()  # what a node calls after a commit: it returns at once
            deadline = time.monotonic() + 20
            while not latest(cn)["witnesses"]:
                assert time.monotonic() < deadline, "no cosignature within 20 s"
                time.sleep(0.05)
        finally:
            runner.stop()
        assert latest(cn)["witnesses"][0]["name"] == "RU"


def test_a_served_node_with_peers_submits_its_checkpoints_by_itself(homes):
    """The app's lifespan starts the submitter for a home that has peers: nobody calls it."""
    cn = homes["CN"]
    with running(homes, ("RU",)) as nodes:
        ru = nodes["RU"]
        # RU only needs CN's origin and key to cosign it; CN needs RU's URL and witness key.
        cn_peer = {"name": "CN", "baseUrl": "http://127.0.0.1:9", **descriptor_fields(cn)}
        register_peers(ru.home, [WitnessPeer.from_descriptor(cn_peer)])
        register_peers(cn, [ru.peer()])
        with Node(cn) as node, serving(create_app(node, log_level="WARNING")) as url:
            commit(node, 0)
            deadline = time.monotonic() + 20
            while not httpx.get(url + "/v1/checkpoints/latest").json()["witnesses"]:
                assert time.monotonic() < deadline, "no cosignature within 20 s"
                time.sleep(0.05)
            served = httpx.get(url + "/v1/checkpoints/latest").json()
    assert [w["name"] for w in served["witnesses"]] == ["RU"]
    assert cosignature.verify(served["checkpoint"], witness_key_of(ru.home)).checkpoint.size == 1


def test_the_node_configuration_not_the_environment_turns_the_submitter_off(homes):
    """``NodeConfig.witnessing`` (``tdx serve --no-witnessing``): a served home with a
    witness peer starts its submitter only when its configuration says so."""
    cn = homes["CN"]
    with running(homes, ("RU",)) as nodes:
        register_peers(cn, [nodes["RU"].peer()])
        for witnessing in (False, True):
            with Node.open(NodeConfig(cn.path, witnessing=witnessing)) as node:
                assert node.witnessing is witnessing
                app = create_app(node, log_level="WARNING")
                with serving(app):
                    started = getattr(app.state, "witnessing", None)
                    assert (started is not None) is witnessing


def test_the_background_rounds_back_off_from_a_failing_witness(homes):
    from network.witness.runner import MAX_BACKOFF

    with running(homes, ("CN", "RU")) as nodes:
        ru_peer = nodes["RU"].peer()
    # RU is down: a background round tries it (3 attempts), the next ones leave it alone.
    now = [0.0]
    with running(homes, ("CN",)) as nodes:
        cn = nodes["CN"]
        register_peers(cn.home, [ru_peer])
        commit(cn.node, 0)
        runner = Witnessing(
            cn.home, cn.node.provable, cn.node.clock, backoff=0.01, monotonic=lambda: now[0]
        )
        try:
            (sub,) = runner.run_once(gossiping=False, backing_off=True).submissions
            assert (sub.outcome, sub.attempts) == ("unreachable", 3)
            pauses = []
            for _ in range(7):
                started = now[0]
                while (sub := runner.run_once(False, True).submissions[0]).outcome == "waiting":
                    assert sub.attempts == 0
                    now[0] += 0.5
                    assert now[0] - started <= MAX_BACKOFF + 1, "never retried"
                assert (sub.outcome, sub.attempts) == ("unreachable", 3)
                pauses.append(now[0] - started)
            # Doubling from the 1 s interval, capped.
            assert pauses[:4] == [2.0, 4.0, 8.0, 16.0]
            assert pauses[-1] == MAX_BACKOFF
            # Asked for a round now (witness-sync), it is tried at once.
            (sub,) = runner.run_once(gossiping=False).submissions
            assert sub.attempts == 3
        finally:
            runner.stop()
