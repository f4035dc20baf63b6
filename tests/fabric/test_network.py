"""The network as ``up``, ``status`` and the engine see it: processes and heights, channels
by corridor, private data, the chaincode event stream, and an index that resumes."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op, Transaction
from network.fabric import deploy, processes
from network.fabric.engine import INDEX_FILE
from network.fabric.network import peer_cli, status, up
from network.home import Home
from network.node import Node
from tests.conftest import EXAMPLES

CO = {"kind": DocumentKind.CO, "country": "CN"}


def digest(n: int) -> str:
    return f"sha256:{0xC0000 + n:064x}"


@pytest.fixture
def node(fabric_chaincode, demo_home):
    with Node(demo_home, engine="fabric") as built:
        yield built


def test_status_shows_every_process_its_heights_and_the_channels(fabric_network):
    body = status(fabric_network.folder)
    assert body["fabric"].startswith("v3.1.5")
    assert body["channels"] == {
        "cn-sg": ["CNMSP", "SGMSP"],
        "cn-kz-ru": ["CNMSP", "KZMSP", "RUMSP"],
    }
    by_name = {p["name"]: p for p in body["processes"]}
    assert sorted(by_name) == sorted(
        f"{kind}-{c}" for kind in ("peer", "orderer", "ccserver") for c in ("CN", "SG", "RU", "KZ")
    )
    assert all(p["alive"] for p in by_name.values())
    assert set(by_name["peer-CN"]["heights"]) == {"cn-sg", "cn-kz-ru"}
    assert set(by_name["peer-SG"]["heights"]) == {"cn-sg"}
    assert all(isinstance(h, int) and h > 1 for h in by_name["orderer-KZ"]["heights"].values())


def test_up_again_keeps_the_running_processes(fabric_network):
    before = {n: e.pid for n, e in processes.recorded(fabric_network.folder).items()}
    up(fabric_network.home, fabric_network.folder)
    after = {n: e.pid for n, e in processes.recorded(fabric_network.folder).items()}
    assert after == before


def test_a_document_goes_on_its_corridors_channel(node):
    ledger = node.ledger
    now = node.clock()

    def tx(**fields):
        return Transaction(op=Op.ISSUE, actor="cn-cosco", time=now, doc=digest(1), **fields)

    assert ledger.channel_for(tx(kind=DocumentKind.CO, country="CN"), "CN") == "cn-sg"
    assert ledger.channel_for(tx(kind=DocumentKind.EBL, to="kz-ktz"), "CN") == "cn-kz-ru"
    with pytest.raises(Refusal) as caught:
        ledger.channel_for(tx(kind=DocumentKind.CO, country="SG", to="ru-importer"), "SG")
    assert (caught.value.kind, caught.value.rule) == (
        RefusalKind.INVALID,
        "no corridor channel has all of RU, SG (channels: cn-kz-ru: CN, KZ, RU; cn-sg: CN, SG)",
    )
    rail = node.issue(
        DocumentKind.RAIL,
        (EXAMPLES / "rail_chongqing_almaty.json").read_bytes(),
        "cn-railway",
        to="kz-ktz",
    ).document.digest
    assert ledger._index.channel_of(rail) in ("cn-sg", "cn-kz-ru")
    receipt = node.submit(
        "cn-cosco", Op.ISSUE, doc=digest(2), kind=DocumentKind.EBL, carrier="cn-cosco",
        to="kz-ktz", toOrder=False,
    )  # fmt: skip
    assert ledger._index.channel_of(digest(2)) == "cn-kz-ru"
    assert receipt.block is not None


def test_content_goes_to_the_members_private_collection_and_only_its_hash_to_the_block(
    node, fabric_network, tmp_path
):
    node.submit("cn-gacc", Op.ISSUE, doc=digest(3), **CO)
    content = b'{"certificate": "of origin", "secret": "price 1234.56 USD"}'
    block = node.ledger.put_content("cn-gacc", digest(3), content)
    assert node.ledger.content(digest(3)) == content
    path = tmp_path / "block.pb"
    peer_cli(fabric_network.spec, "SG", "channel", "fetch", str(block), str(path), "-c", "cn-sg",
             "-o", fabric_network.spec.orderer_address("SG"), "--tls",
             "--cafile", str(fabric_network.spec.crypto("SG").ca))  # fmt: skip
    raw = path.read_bytes()
    assert content not in raw
    assert hashlib.sha256(content).digest() in raw  # the private write's hash


def test_the_chaincode_event_stream_carries_each_committed_transaction(node):
    receipt = node.submit("cn-gacc", Op.ISSUE, doc=digest(4), **CO)
    ledger = node.ledger
    signer = ledger._reader("cn-sg")
    stream = ledger._gateway("SG").events("cn-sg", ledger._config.chaincode, signer, receipt.block)
    try:
        block, events = next(iter(stream))
    finally:
        stream.cancel()
    assert block == receipt.block
    assert [e.tx_id for e in events] == [receipt.tx_hash]
    assert events[0].name == "tdx"


def test_the_index_resumes_from_its_stored_block_after_a_restart(node, demo_home, tmp_path):
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    node.close()
    cursor_before = _cursor(demo_home)
    assert cursor_before > 0
    # Meanwhile another node of the same network moves the eBL on.
    other_path = tmp_path / "other"
    shutil.copytree(demo_home.path, other_path)
    (other_path / INDEX_FILE).unlink()
    with Node(Home(other_path), engine="fabric") as other:
        other.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    with Node(demo_home, engine="fabric") as reopened:
        entries = _wait_for_history(reopened, ebl, 2)
        assert [e.op for e in entries] == ["ISSUE", "ENDORSE"]
        assert reopened.ledger.size() == 2  # nothing indexed twice
        assert reopened.ledger.held_by("cn-boc") == [ebl]
    assert _cursor(demo_home) > cursor_before


def _cursor(home: Home) -> int:
    from ledger.fabric.index import FabricIndex

    index = FabricIndex(home.path / INDEX_FILE)
    try:
        return index.cursor("cn-sg")
    finally:
        index.close()


def _wait_for_history(node, doc, count):
    index = node.ledger._index
    with index.changed:
        index.changed.wait_for(lambda: len(node.ledger.history(doc)) >= count, timeout=30)
    return node.ledger.history(doc)


def test_the_endorsement_policy_of_each_channel(fabric_network):
    spec = fabric_network.spec
    assert deploy.endorsement_policy(spec, "cn-sg") == "OR('CNMSP.peer','SGMSP.peer')"
    assert (
        deploy.endorsement_policy(spec, "cn-kz-ru") == "OR('CNMSP.peer','KZMSP.peer','RUMSP.peer')"
    )


def test_an_mvcc_conflict_surfaces_as_the_rules_conflict_refusal(node):
    """Ten transfers of one eBL endorsed against the same state: Fabric's validation keeps
    one (MVCC_READ_CONFLICT for the others, or ENDORSEMENT_POLICY_FAILURE for those in the
    winner's block: its first signature bound the holder's ledger key, setting that key's
    policy); each loser is endorsed again and refused by the rules as a conflict that names
    the winner."""
    import threading

    from chaincode.lifecycle import Refusal as Refused

    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    parties = ["cn-boc", "sg-dbs", "sg-importer", "cn-ccpit", "cn-railway"]
    signed = [
        node.transaction("cn-exporter", Op.TRANSFER, doc=ebl, to=parties[i % 5]) for i in range(10)
    ]
    # Every proposal is endorsed before any is ordered: all read the same state.
    prepared = [node.ledger.prepare(s) for s in signed]
    for flight in prepared:
        node.ledger.hand_over(flight)
    results: list[object] = [None] * 10

    def finish(i: int) -> None:
        try:
            results[i] = node.ledger.finish(prepared[i])
        except Refused as refusal:
            results[i] = refusal

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    losses = [r for r in results if isinstance(r, Refused)]
    holder = node.ledger.document(ebl).holder
    assert len(losses) == 9, results
    assert node.ledger.mvcc_conflicts + node.ledger.policy_failures >= 9
    assert {(r.kind, r.rule) for r in losses} == {
        (RefusalKind.CONFLICT, f"not the current possessor (possessor: {holder}, state ISSUED)")
    }
