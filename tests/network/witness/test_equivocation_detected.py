"""Issue 12, test 6: a log that shows one history to one witness and another to a second
(a test helper signs two different checkpoints of one size with the CN node's own key) is
caught when the witnesses read each other's views; the evidence is served, printed by
`tdx network evidence`, and re-checks offline with only the log's public key."""

import json

import httpx
from typer.testing import CliRunner

from api.cli.main import app
from ledger.tlog.add_checkpoint import AddCheckpoint
from network.witness import (
    Witnessing,
    WitnessPeer,
    descriptor_fields,
    evidence_of,
    register_peers,
    witnessing_status,
)
from tests.ledger.forks import Forks
from tests.network.witness.conftest import running

# Nothing listens there: the equivocating log's own node is not needed (nor reachable).
DEAD = "http://127.0.0.1:9"
SIZE = 12


def descriptor(name, home, url) -> WitnessPeer:
    return WitnessPeer.from_descriptor({"name": name, "baseUrl": url, **descriptor_fields(home)})


def add_checkpoint(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/witness/add-checkpoint", content=body, timeout=10)


def gossip_round(me) -> None:
    runner = Witnessing(me.home, None, me.node.clock)
    try:
        runner.run_once(gossiping=True)
    finally:
        runner.stop()


def test_two_histories_are_caught_by_the_witnesses_and_the_evidence_rechecks(homes, tmp_path):
    cn = homes["CN"]
    forks = Forks(cn.setting("origin"), cn.checkpoint_key(), size=SIZE, common=4)
    assert forks.vkey == descriptor_fields(cn)["checkpointKey"]
    with running(homes, ("RU", "KZ")) as nodes:
        ru, kz = nodes["RU"], nodes["KZ"]
        register_peers(ru.home, [descriptor("CN", cn, DEAD), kz.peer()])
        register_peers(kz.home, [descriptor("CN", cn, DEAD), ru.peer()])

        # Each witness alone sees a consistent log, and cosigns.
        assert add_checkpoint(ru.url, forks.request(0, 0, SIZE)).status_code == 200
        assert add_checkpoint(kz.url, forks.request(1, 0, SIZE)).status_code == 200
        assert evidence_of(ru.home).evidence == ()

        # Reading each other's views (tlog-witness monitoring), both catch it.
        gossip_round(ru)
        gossip_round(kz)
        for me in (ru, kz):
            (item,) = evidence_of(me.home).evidence
            assert (item.peer, item.kind, item.report.valid) == ("CN", "same-size", True)
            assert witnessing_status(me.home).evidence == 1

        # A caught log gets no cosignature for that size again: the same tree is refused too.
        refused = add_checkpoint(ru.url, AddCheckpoint(SIZE, (), forks.note(1, SIZE)).encode())
        assert refused.status_code == 422

        served = httpx.get(ru.url + "/v1/witness/evidence").json()
        assert [(e["peer"], e["kind"], e["holds"]) for e in served["evidence"]] == [
            ("CN", "same-size", True)
        ]
        status = httpx.get(ru.url + "/v1/witness/status").json()
        (cn_log,) = [log for log in status["witnessed"] if log["name"] == "CN"]
        assert (cn_log["cosignedSize"], cn_log["evidence"]) == (SIZE, 1)

    cli = CliRunner()
    shown = cli.invoke(app, ["network", "evidence", "--home", str(ru.home.path), "--json"])
    assert shown.exit_code == 0, shown.output
    (printed,) = json.loads(shown.output)["evidence"]
    assert printed["evidence"] == served["evidence"][0]["evidence"]
    text = cli.invoke(app, ["network", "evidence", "--home", str(ru.home.path)])
    assert "CN" in text.output
    assert "re-checked: holds" in text.output

    # Anyone holding the document and CN's public key re-checks it, with no node at all.
    written = tmp_path / "evidence"
    cli.invoke(app, ["network", "evidence", "--home", str(ru.home.path), "--write", str(written)])
    (path,) = written.glob("evidence-*.json")
    checked = cli.invoke(app, ["proof", "check-evidence", str(path), "--key", forks.vkey, "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["valid"] is True

    # A forged piece (one note's root altered) does not hold, and says so with exit 1.
    document = json.loads(path.read_text())
    document["second"] = document["second"].replace(
        document["second"].split("\n")[2], forks.note(0, SIZE - 1).split("\n")[2]
    )
    path.write_text(json.dumps(document))
    forged = cli.invoke(app, ["proof", "check-evidence", str(path), "--key", forks.vkey])
    assert forged.exit_code == 1
    assert "not proven" in forged.output
