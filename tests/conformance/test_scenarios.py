"""The same scenarios on both engines: documents, the eBL life cycle, a race, refusals,
trace, idempotency and a restart."""

from __future__ import annotations

import datetime
import threading

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op
from network.node import Node
from tests.conftest import EXAMPLES

CO = {"kind": DocumentKind.CO, "country": "CN"}
RACE = {"embedded": 50, "evm": 10, "fabric": 10}


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def issue_ebl(node: Node) -> str:
    data = (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes()
    return node.issue(DocumentKind.EBL, data, "cn-cosco").document.digest


def refused(node: Node, org: str, op: Op, **fields: object) -> Refusal:
    before = node.ledger.size()
    with pytest.raises(Refusal) as caught:
        node.submit(org, op, **fields)
    assert node.ledger.size() == before  # a refusal changes nothing
    return caught.value


def test_documents_issue_amend_revoke_with_role_and_country_rules(node):
    node.submit("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    record = node.ledger.document(digest(1))
    assert (record.state.value, record.issuer, record.country) == ("ISSUED", "cn-gacc", "CN")

    wrong_role = refused(node, "cn-cosco", Op.ISSUE, doc=digest(2), **CO)
    assert wrong_role.kind is RefusalKind.FORBIDDEN
    assert wrong_role.rule.startswith("role co_issuer required to issue co")
    wrong_country = refused(
        node, "cn-gacc", Op.ISSUE, doc=digest(2), kind=DocumentKind.CO, country="SG"
    )
    assert "must be issued by an organisation of SG, not CN" in wrong_country.rule
    again = refused(node, "cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    assert (again.kind, again.rule) == (
        RefusalKind.CONFLICT,
        f"document {digest(1)} is already on the ledger",
    )

    node.submit("cn-gacc", Op.AMEND, doc=digest(1), newDoc=digest(3), reason="typo", **CO)
    old, new = node.ledger.document(digest(1)), node.ledger.document(digest(3))
    assert (old.state.value, old.superseded_by) == ("AMENDED", digest(3))
    assert (new.state.value, new.supersedes) == ("ISSUED", digest(1))
    twice = refused(node, "cn-gacc", Op.AMEND, doc=digest(1), newDoc=digest(4), reason="x", **CO)
    assert twice.rule == "already amended (state AMENDED)"

    assert refused(node, "cn-gacc", Op.REVOKE, doc=digest(3)).rule == "REVOKE needs a reason"
    other = refused(node, "cn-ccpit", Op.ISSUE, doc=digest(5), kind=DocumentKind.EBL)
    assert other.kind is RefusalKind.FORBIDDEN
    node.submit("cn-gacc", Op.REVOKE, doc=digest(3), reason="withdrawn")
    assert node.ledger.document(digest(3)).state.value == "REVOKED"
    assert refused(node, "cn-gacc", Op.REVOKE, doc=digest(3), reason="x").rule == (
        "already revoked (state REVOKED)"
    )
    assert [(e.op, e.actor) for e in node.ledger.history(digest(1))] == [
        ("ISSUE", "cn-gacc"),
        ("AMEND", "cn-gacc"),
    ]
    missing = refused(node, "cn-gacc", Op.REVOKE, doc=digest(9), reason="x")
    assert missing.kind is RefusalKind.NOT_FOUND


def test_the_ebl_life_cycle_through_pickup(node):
    ebl = issue_ebl(node)
    record = node.ledger.document(ebl)
    assert (record.holder, record.carrier, record.state.value) == (
        "cn-exporter",
        "cn-cosco",
        "ISSUED",
    )
    container = record.containers[0]
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    node.submit("cn-boc", Op.TRANSFER, doc=ebl, to="sg-importer")
    node.submit("sg-importer", Op.SURRENDER, doc=ebl, purpose="delivery")
    pending = node.ledger.document(ebl)
    assert (pending.state.value, pending.holder, pending.surrendered_by) == (
        "PENDING_SURRENDER_FOR_DELIVERY",
        "cn-cosco",
        "sg-importer",
    )
    not_carrier = refused(node, "cn-boc", Op.ACCEPT, doc=ebl)
    assert not_carrier.rule == "only the issuing carrier answers a surrender"
    node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
    assert node.ledger.document(ebl).state.value == "SURRENDERED_FOR_DELIVERY"
    expires = node.clock() + datetime.timedelta(days=2)
    node.submit(
        "cn-cosco", Op.RELEASE, doc=ebl, containers=[container], to="sg-importer", expires=expires
    )
    node.submit("sg-importer", Op.DELEGATE, doc=ebl, container=container, to="sg-haulier")
    right = node.ledger.pickup_right(container)
    assert (right.ebl, right.holder, right.delegations) == (ebl, "sg-haulier", ("sg-importer",))
    not_terminal = refused(node, "sg-haulier", Op.PICKUP, container=container)
    assert not_terminal.rule == "role terminal required"
    node.pickup(container, "sg-psa", by="sg-haulier")
    right = node.ledger.pickup_right(container)
    assert right.picked_up_by == "sg-psa"
    assert right.picked_up_at is not None
    twice = refused(node, "sg-psa", Op.PICKUP, container=container)
    assert twice.kind is RefusalKind.CONFLICT
    assert twice.rule.startswith(f"container {container} already picked up at")
    ops = [e.op for e in node.ledger.history(ebl)]
    assert ops == [
        "ISSUE",
        "ENDORSE",
        "TRANSFER",
        "SURRENDER",
        "SACC",
        "RELEASE",
        "DELEGATE",
        "PICKUP",
    ]


def test_concurrent_transfers_of_one_ebl_exactly_one_wins(node, engine):
    n = RACE[engine]
    ebl = issue_ebl(node)
    parties = ["cn-boc", "sg-dbs", "sg-importer", "ru-importer", "cn-ccpit"]
    signed = [
        node.transaction("cn-exporter", Op.TRANSFER, doc=ebl, to=parties[i % len(parties)])
        for i in range(n)
    ]
    results: list[object] = [None] * n
    start = threading.Barrier(n)

    def go(i: int) -> None:
        start.wait(timeout=30)
        try:
            results[i] = node.ledger.submit(signed[i])
        except Refusal as refusal:
            results[i] = refusal

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Every submit ends within its deadline (ledger.evm.submit.SUBMIT_TIMEOUT, 30 s): none
    # hangs, whatever the load.
    assert not any(t.is_alive() for t in threads)
    assert None not in results, results
    losses = [r for r in results if isinstance(r, Refusal)]
    assert len(losses) == n - 1, results
    holder = node.ledger.document(ebl).holder
    assert holder in parties
    assert all(r.kind is RefusalKind.CONFLICT for r in losses)
    assert all(
        r.rule == f"not the current possessor (possessor: {holder}, state ISSUED)" for r in losses
    )
    assert [e.op for e in node.ledger.history(ebl)] == ["ISSUE", "TRANSFER"]


def test_refusals_name_the_rule(node):
    ebl = issue_ebl(node)
    stranger = refused(node, "sg-dbs", Op.TRANSFER, doc=ebl, to="cn-boc")
    assert (stranger.kind, stranger.rule) == (
        RefusalKind.CONFLICT,
        "not the current possessor (possessor: cn-exporter, state ISSUED)",
    )
    nobody = refused(node, "cn-exporter", Op.TRANSFER, doc=ebl, to="xx-nobody")
    assert (nobody.kind, nobody.rule) == (RefusalKind.INVALID, "unknown organisation xx-nobody")
    itself = refused(node, "cn-exporter", Op.TRANSFER, doc=ebl, to="cn-exporter")
    assert itself.rule == "a transfer to oneself changes nothing"
    early = refused(
        node,
        "cn-cosco",
        Op.RELEASE,
        doc=ebl,
        containers=["CXRU1523418"],
        to="sg-importer",
        expires=node.clock() + datetime.timedelta(days=1),
    )
    assert early.rule == (
        "containers are released only after surrender for delivery is accepted (state ISSUED)"
    )
    no_right = refused(node, "sg-psa", Op.PICKUP, container="MSCU1234566")
    assert (no_right.kind, no_right.rule) == (
        RefusalKind.NOT_FOUND,
        "no pickup right for container MSCU1234566",
    )


def test_trace_links_containers_and_holders(node):
    ebl = issue_ebl(node)
    phyto = node.issue(
        DocumentKind.PHYTO, (EXAMPLES / "phyto_cn_kz_apples.json").read_bytes(), "cn-gacc"
    ).document.digest
    rail = node.issue(
        DocumentKind.RAIL,
        (EXAMPLES / "rail_chongqing_almaty.json").read_bytes(),
        "cn-railway",
        links=[ebl],
    ).document.digest
    assert node.ledger.documents_for_container("CXRU1523418") == [ebl]
    assert node.ledger.held_by("cn-exporter") == [ebl]
    assert set(node.ledger.links(rail)) == {phyto, ebl}
    assert node.ledger.links(phyto) == [rail]
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    assert [(e.op, e.actor) for e in node.ledger.trace(rail)] == [
        ("ISSUE", "cn-cosco"),
        ("ISSUE", "cn-gacc"),
        ("ISSUE", "cn-railway"),
        ("ENDORSE", "cn-exporter"),
    ]
    assert node.ledger.held_by("cn-boc") == [ebl]
    assert node.ledger.held_by("cn-exporter") == []


def test_resubmitting_the_same_signed_transaction_changes_nothing(node):
    signed = node.transaction("cn-gacc", Op.ISSUE, doc=digest(1), **CO)
    first = node.ledger.submit(signed)
    node.submit("cn-gacc", Op.ISSUE, doc=digest(2), **CO)
    again = node.ledger.submit(signed)
    assert again.duplicate
    assert (again.tx_id, again.index) == (first.tx_id, first.index)
    assert node.ledger.size() == 2


def test_pipelined_submit_many_keeps_sequential_semantics(node):
    ebl_tx = [node.transaction("cn-gacc", Op.ISSUE, doc=digest(i), **CO) for i in range(1, 6)]
    bad = node.transaction("cn-cosco", Op.ISSUE, doc=digest(7), **CO)
    amend = node.transaction(
        "cn-gacc", Op.AMEND, doc=digest(1), newDoc=digest(8), reason="fix", **CO
    )
    results = node.ledger.submit_many([*ebl_tx, bad, amend])
    assert [isinstance(r, Refusal) for r in results] == [False] * 5 + [True, False]
    assert node.ledger.document(digest(1)).state.value == "AMENDED"
    assert node.ledger.size() == 6


def test_the_ledger_survives_a_restart(node, engine, demo_home):
    ebl = issue_ebl(node)
    node.submit("cn-exporter", Op.ENDORSE, doc=ebl, to="cn-boc")
    rpc = node.ledger._config.rpc if engine == "evm" else None
    node.close()
    with Node(demo_home, engine=engine, rpc=rpc) as reopened:
        assert reopened.ledger.document(ebl).holder == "cn-boc"
        assert reopened.ledger.size() == 2
        assert [e.op for e in reopened.ledger.history(ebl)] == ["ISSUE", "ENDORSE"]
