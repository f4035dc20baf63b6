"""A checkpoint that does not follow from the one a witness holds is first a dispute: the
witness asks the log's own node for the consistency proof. The honest log's proof dismisses
it (a request anyone could send cannot accuse a log); a proof that fails is the evidence."""

import hashlib

import httpx

from ledger.tlog import checkpoint
from ledger.tlog.add_checkpoint import AddCheckpoint
from ledger.tlog.checkpoint import Checkpoint
from network.witness import Witnessing, evidence_of, witnessing_status
from network.witness.store import WitnessStore
from tests.network.witness.conftest import running
from tests.network.witness.test_witnessing import commit, publish


def submit(url: str, old: int, proof: tuple[bytes, ...], note: str) -> int:
    body = AddCheckpoint(old, proof, note).encode()
    return httpx.post(url + "/witness/add-checkpoint", content=body, timeout=10).status_code


def gossip_round(me):
    runner = Witnessing(me.home, None, me.node.clock)
    try:
        return runner.run_once(gossiping=True)
    finally:
        runner.stop()


def disputes(me) -> int:
    store = WitnessStore.of_home(me.home.path)
    try:
        return len(store.disputes())
    finally:
        store.close()


def test_a_bogus_proof_for_an_honest_log_is_dismissed_by_the_logs_own_proof(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn, ru = nodes["CN"], nodes["RU"]
        for n in range(3):
            commit(cn.node, n)
        publish(cn)  # RU holds CN at size 3
        for n in range(3, 8):
            commit(cn.node, n)
        real = cn.node.provable.checkpoint()
        # Anyone may replay CN's real checkpoint with a proof that does not hold.
        bogus = tuple(hashlib.sha256(b"%d" % i).digest() for i in range(3))
        assert submit(ru.url, 3, bogus, real) == 422
        assert disputes(ru) == 1
        result = gossip_round(ru)
        assert [s.outcome for s in result.settled] == ["dismissed"]
        assert disputes(ru) == 0
        assert evidence_of(ru.home).evidence == ()
        # And the honest log goes on being cosigned.
        (sub,) = publish(cn).submissions
        assert (sub.outcome, sub.size) == ("cosigned", 8)


def test_a_signed_checkpoint_off_the_logs_history_is_flagged_with_its_own_failing_proof(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn, ru = nodes["CN"], nodes["RU"]
        for n in range(10):
            commit(cn.node, n)
        # CN's key signs a size-6 tree that is not the prefix of its real log; RU cosigns it,
        # having nothing to compare it with yet.
        origin = cn.home.setting("origin")
        forged = Checkpoint(origin, 6, hashlib.sha256(b"another history").digest())
        assert (
            submit(ru.url, 0, (), checkpoint.sign(forged, origin, cn.home.checkpoint_key())) == 200
        )
        # RU then reads CN's real size-10 checkpoint, asks CN's node for the 6 -> 10 proof,
        # and that proof fails against the size-6 root CN also signed.
        result = gossip_round(ru)
        assert "dispute" in [o.outcome for o in result.observations]
        assert [s.outcome for s in result.settled] == ["flagged"]
        (item,) = evidence_of(ru.home).evidence
        assert (item.peer, item.kind, item.report.valid) == ("CN", "inconsistent", True)
        assert cn.url in item.document["proofSource"]
        assert witnessing_status(ru.home).evidence == 1
        # CN's honest submission from its real history is refused by RU from now on.
        (sub,) = publish(cn).submissions
        assert sub.outcome == "refused"
        assert "does not hold" in sub.detail
