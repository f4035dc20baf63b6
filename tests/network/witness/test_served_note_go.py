"""What a real node serves, checked by the Go reference (sumdb/note + formats/note): its
latest checkpoint with the cosignatures its peers returned over C2SP tlog-witness."""

import base64

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import checkpoint, cosignature
from network.witness import WitnessPeer, descriptor_fields, register_peers, witness_key_of
from network.witness.store import WitnessStore
from tests.ledger.go_note import GoNote, build, skey
from tests.network.witness.conftest import running
from tests.network.witness.test_witnessing import commit, publish


def test_go_verifies_a_served_checkpoint_and_its_witnesses_cosignatures(homes):
    go = GoNote(build())
    with running(homes) as nodes:
        cn = nodes["CN"]
        for n in range(4):
            commit(cn.node, n)
        assert {s.outcome for s in publish(cn).submissions} == {"cosigned"}
        served = httpx.get(cn.url + "/v1/checkpoints/latest").json()
    witness_keys = [witness_key_of(homes[name]) for name in ("RU", "KZ")]
    got = go.open(served["checkpoint"], [served["key"]], witness_keys)
    assert got["ok"], got
    assert got["text"].splitlines()[:2] == [served["origin"], "4"]
    names = [s["name"] for s in got["signatures"]]
    assert names[0] == served["key"].split("+")[0]
    assert sorted(names[1:]) == sorted(k.split("+")[0] for k in witness_keys)
    assert all(isinstance(s["timestamp"], int) for s in got["signatures"][1:])
    # Without the witnesses' keys Go still opens it by the log's key; theirs stay unverified.
    alone = go.open(served["checkpoint"], [served["key"]])
    assert alone["ok"]
    assert len(alone["unverified"]) == 2


def test_the_reference_tlog_witness_client_reads_every_answer_of_our_witness(homes):
    """transparency-dev/witness's own client submits to a node's witness endpoint: it gets
    cosignature lines that Go verifies, and reads a 409, a 404 and a 422 as it expects."""
    go = GoNote(build())
    with running(homes, ("CN", "RU")) as nodes:
        cn, ru = nodes["CN"], nodes["RU"]
        for n in range(5):
            commit(cn.node, n)
        note = cn.node.provable.checkpoint()
        prefix = ru.url + "/witness"

        got = go.call("submit", url=prefix, oldSize=0, note=note, proof=[])
        assert got["ok"], got
        witnessed = go.open(note + got["body"], [cn_key(cn)], [witness_key_of(ru.home)])
        assert witnessed["ok"], witnessed
        assert witnessed["signatures"][1]["name"] == witness_key_of(ru.home).split("+")[0]

        # The log thinks the witness holds 3: a 409 whose text/x.tlog.size body says 5.
        stale = go.call("submit", url=prefix, oldSize=3, note=note, proof=[])
        assert (stale["refusal"], stale["size"]) == ("stale", 5)

        for n in range(5, 9):
            commit(cn.node, n)
        newer = cn.node.provable.checkpoint()
        proof = [base64.b64encode(h).decode() for h in cn.node.provable.consistency_proof(5, 9)]
        bad = go.call("submit", url=prefix, oldSize=5, note=newer, proof=proof[::-1])
        assert bad["refusal"] == "invalidProof"
        good = go.call("submit", url=prefix, oldSize=5, note=newer, proof=proof)
        assert good["ok"], good

        # RU's own log is not one RU witnesses.
        unknown = go.call(
            "submit", url=prefix, oldSize=0, note=ru.node.provable.checkpoint(), proof=[]
        )
        assert unknown["refusal"] == "unknownLog"


def cn_key(cn) -> str:
    return httpx.get(cn.url + "/v1/checkpoints/latest").json()["key"]


def test_our_log_is_cosigned_by_the_reference_witness(homes):
    """The other direction: a node submits its checkpoints, with its RFC 9162 consistency
    proofs, to transparency-dev/witness's own witness, and keeps the cosignatures it returns
    (following its 409 as well)."""
    go = GoNote(build())
    key = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
    name = "go.example/witness"
    with running(homes, ("CN",)) as nodes:
        cn = nodes["CN"]
        log_key = descriptor_fields(cn.home)["checkpointKey"]
        with go.witness([log_key], skey(name, key)) as url:
            # The reference witness has no log of its own: a placeholder one for the descriptor.
            placeholder = Ed25519PrivateKey.from_private_bytes(b"\x43" * 32)
            peer = WitnessPeer.from_descriptor(
                {
                    "name": "GO",
                    "baseUrl": url,
                    "origin": "go.example/no-log",
                    "checkpointKey": checkpoint.verifier_key(
                        "go.example/no-log", placeholder.public_key()
                    ),
                    "witnessKey": cosignature.verifier_key(name, key.public_key()),
                }
            )
            register_peers(cn.home, [peer])
            for n in range(3):
                commit(cn.node, n)
            (sub,) = publish(cn).submissions
            assert (sub.outcome, sub.size) == ("cosigned", 3)
            for n in range(3, 11):
                commit(cn.node, n)
                (sub,) = publish(cn).submissions
                assert (sub.outcome, sub.size, sub.attempts) == ("cosigned", n + 1, 1)
            # The log forgets what the witness holds: the reference 409 puts it right.
            store = WitnessStore.of_home(cn.home.path)
            try:
                store._db.execute("DELETE FROM submissions")
            finally:
                store.close()
            commit(cn.node, 11)
            (sub,) = publish(cn).submissions
            assert (sub.outcome, sub.size, sub.attempts) == ("cosigned", 12, 2)
            served = httpx.get(cn.url + "/v1/checkpoints/latest").json()
    assert [w["name"] for w in served["witnesses"]] == ["GO"]
    found = cosignature.verify(
        served["checkpoint"], cosignature.verifier_key(name, key.public_key())
    )
    assert found.checkpoint.size == 12
