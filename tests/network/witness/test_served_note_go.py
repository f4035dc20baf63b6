"""What a real node serves, checked by the Go reference (sumdb/note + formats/note): its
latest checkpoint with the cosignatures its peers returned over C2SP tlog-witness."""

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
