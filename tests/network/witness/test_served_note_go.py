"""What a real node serves, checked by the Go reference (sumdb/note + formats/note): its
latest checkpoint with the cosignatures its peers returned over C2SP tlog-witness."""

import base64

import httpx

from network.witness import witness_key_of
from tests.ledger.go_note import GoNote, build
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
