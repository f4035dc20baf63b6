"""Exclusive control across platforms, the same on every engine: an eBL exported to a
TradeTrust token registry, or sent to another platform by PINT, refuses every local control
action naming where control lives, and comes home only by the operations that say so."""

from __future__ import annotations

import datetime

import pytest

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Away
from chaincode.transactions import Op
from network.node import Node
from tests.conformance.test_scenarios import issue_ebl, refused

REGISTRY = "eip155:1337:0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN = "ab" * 32


def ref(n: int) -> str:
    return f"{n:064x}"


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def control_actions_refused(node: Node, ebl: str, holder: str, where: str) -> None:
    """Every local control action on the eBL is refused, and the refusal names ``where``."""
    for org, op, fields in (
        (holder, Op.TRANSFER, {"to": "cn-boc"}),
        (holder, Op.ENDORSE, {"to": "cn-boc"}),
        (holder, Op.SURRENDER, {"purpose": "delivery"}),
        ("cn-cosco", Op.ACCEPT, {}),
        ("cn-cosco", Op.REJECT, {"reason": "no"}),
    ):
        refusal = refused(node, org, op, doc=ebl, **fields)
        assert refusal.kind is RefusalKind.CONFLICT, (op, refusal.rule)
        assert where in refusal.rule, (op, refusal.rule)


def test_an_ebl_exported_to_a_token_registry_is_controlled_there_until_reclaimed(node):
    ebl = issue_ebl(node)
    # Only the possessor moves control away, and only to a registry.
    assert "possessor" in refused(node, "cn-boc", Op.EXPORT_EBL, doc=ebl, where=REGISTRY,
                                  ref=TOKEN).rule  # fmt: skip
    to_pint = refused(node, "cn-exporter", Op.EXPORT_EBL, doc=ebl, where="SGTD", ref=TOKEN)
    assert to_pint.kind is RefusalKind.INVALID
    node.submit("cn-exporter", Op.EXPORT_EBL, doc=ebl, where=REGISTRY, ref=TOKEN)
    record = node.ledger.document(ebl)
    assert (record.away, record.away_at, record.transfer, record.holder) == (
        Away.EXPORTED,
        REGISTRY,
        TOKEN,
        None,
    )
    control_actions_refused(node, ebl, "cn-exporter", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    again = refused(node, "cn-exporter", Op.EXPORT_EBL, doc=ebl, where=REGISTRY, ref=TOKEN)
    assert "TradeTrust token registry" in again.rule
    assert node.ledger.held_by("cn-exporter") == []

    # Home again: by the carrier, naming the registry and token it went to.
    not_carrier = refused(node, "cn-exporter", Op.RECLAIM_EBL, doc=ebl, where=REGISTRY,
                          ref=TOKEN, to="sg-importer")  # fmt: skip
    assert not_carrier.kind is RefusalKind.FORBIDDEN
    wrong = refused(node, "cn-cosco", Op.RECLAIM_EBL, doc=ebl, where=REGISTRY, ref=ref(9),
                    to="sg-importer")  # fmt: skip
    assert "was exported to" in wrong.rule
    node.submit("cn-cosco", Op.RECLAIM_EBL, doc=ebl, where=REGISTRY.lower(), ref=TOKEN,
                to="sg-importer")  # fmt: skip
    home = node.ledger.document(ebl)
    assert (home.away, home.state.value, home.holder, home.surrendered_by) == (
        None,
        "PENDING_SURRENDER_FOR_DELIVERY",
        "cn-cosco",
        "sg-importer",
    )
    # A surrender pending at home, answered as any: rejected, it is back with the party
    # that returned it, who acts on it here again.
    node.submit("cn-cosco", Op.REJECT, doc=ebl, reason="the bank has not paid")
    node.submit("sg-importer", Op.TRANSFER, doc=ebl, to="sg-dbs")
    assert node.ledger.document(ebl).holder == "sg-dbs"
    ops = [e.op for e in node.ledger.history(ebl)]
    assert ops == ["ISSUE", "EXPORT_EBL", "RECLAIM_EBL", "SREJ", "TRANSFER"]


def test_a_pint_transfer_in_flight_then_out_then_back(node):
    ebl = issue_ebl(node)
    move = {"doc": ebl, "where": "SGTD", "action": "TRANSFER"}
    node.submit("cn-exporter", Op.BEGIN_TRANSFER_OUT, ref=ref(1), **move)
    flying = node.ledger.document(ebl)
    assert (flying.away, flying.away_at, flying.holder) == (Away.IN_FLIGHT, "SGTD", "cn-exporter")
    control_actions_refused(node, ebl, "cn-exporter", "in flight to PINT platform SGTD")
    assert "in flight" in refused(node, "cn-exporter", Op.BEGIN_TRANSFER_OUT, ref=ref(2),
                                  **move).rule  # fmt: skip
    assert "in flight" in refused(node, "cn-exporter", Op.EXPORT_EBL, doc=ebl, where=REGISTRY,
                                  ref=TOKEN).rule  # fmt: skip
    # Another transfer's cancel or completion is refused; this one's cancel gives it back.
    stale = refused(node, "cn-exporter", Op.CANCEL_TRANSFER_OUT, doc=ebl, ref=ref(7))
    assert f"no transfer {ref(7)}" in stale.rule
    assert refused(node, "cn-boc", Op.CANCEL_TRANSFER_OUT, doc=ebl, ref=ref(1)).kind is (
        RefusalKind.FORBIDDEN
    )
    node.submit("cn-exporter", Op.CANCEL_TRANSFER_OUT, doc=ebl, ref=ref(1))
    assert node.ledger.document(ebl).away is None
    node.submit("cn-exporter", Op.TRANSFER, doc=ebl, to="cn-boc")

    # Out for good after the signed RECE.
    node.submit("cn-boc", Op.BEGIN_TRANSFER_OUT, ref=ref(3), **move)
    node.submit("cn-boc", Op.COMPLETE_TRANSFER_OUT, doc=ebl, ref=ref(3), action="TRANSFER",
                proof=ref(99))  # fmt: skip
    out = node.ledger.document(ebl)
    assert (out.away, out.away_at, out.holder, out.state.value) == (
        Away.TRANSFERRED_OUT,
        "SGTD",
        None,
        "ISSUED",
    )
    control_actions_refused(node, ebl, "cn-boc", "lives on PINT platform SGTD")
    assert refused(node, "cn-boc", Op.CANCEL_TRANSFER_OUT, doc=ebl, ref=ref(3)).kind is (
        RefusalKind.CONFLICT
    )
    assert node.ledger.held_by("cn-boc") == []

    # And back: a Chinese bank receives it from Singapore; it acts on it here again.
    node.submit("cn-boc", Op.RECORD_RECEIVED, doc=ebl, where="SGTD", ref=ref(4),
                action="TRANSFER")  # fmt: skip
    back = node.ledger.document(ebl)
    assert (back.away, back.holder, back.transfer, back.carrier) == (
        None,
        "cn-boc",
        ref(4),
        "cn-cosco",
    )
    # Held here, it cannot arrive again (the receiver would answer DISE).
    twice = refused(node, "cn-exporter", Op.RECORD_RECEIVED, doc=ebl, where="IQAX",
                    ref=ref(5), action="TRANSFER")  # fmt: skip
    assert "this ledger has eBL" in twice.rule
    node.submit("cn-boc", Op.SURRENDER, doc=ebl, purpose="delivery")
    assert [e.op for e in node.ledger.history(ebl)][-3:] == [
        "COMPLETE_TRANSFER_OUT",
        "RECORD_RECEIVED",
        "SURRENDER",
    ]


def test_an_ebl_received_from_another_platform_surrenders_there(node):
    """Never on this ledger before: recorded in the receiver's own namespace, its carrier on
    AEOT; local transfers work, the surrender goes to AEOT by PINT, SACC closes it."""
    ebl = digest(77)
    no_platform = refused(node, "sg-importer", Op.RECORD_RECEIVED, doc=ebl, where="AEOT",
                          ref=ref(1), action="TRANSFER")  # fmt: skip
    assert no_platform.kind is RefusalKind.INVALID
    node.submit("sg-importer", Op.RECORD_RECEIVED, doc=ebl, where="AEOT", ref=ref(1),
                action="TRANSFER", carrierPlatform="AEOT", toOrder=True)  # fmt: skip
    record = node.ledger.document(ebl)
    assert (record.issuer, record.carrier, record.carrier_platform, record.holder) == (
        "sg-importer",
        None,
        "AEOT",
        "sg-importer",
    )
    assert node.ledger.held_by("sg-importer") == [ebl]
    node.submit("sg-importer", Op.ENDORSE, doc=ebl, to="sg-dbs")
    local = refused(node, "sg-dbs", Op.SURRENDER, doc=ebl, purpose="delivery")
    assert "carrier of eBL" in local.rule
    assert "on PINT platform AEOT" in local.rule
    elsewhere = refused(node, "sg-dbs", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="IQAX",
                        ref=ref(2), action="SURRENDER_FOR_DELIVERY")  # fmt: skip
    assert "goes to its carrier, on AEOT" in elsewhere.rule
    exported = refused(node, "sg-dbs", Op.EXPORT_EBL, doc=ebl, where=REGISTRY, ref=TOKEN)
    assert "on PINT platform AEOT" in exported.rule

    node.submit("sg-dbs", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="AEOT", ref=ref(3),
                action="SURRENDER_FOR_DELIVERY")  # fmt: skip
    node.submit("sg-dbs", Op.COMPLETE_TRANSFER_OUT, doc=ebl, ref=ref(3),
                action="SURRENDER_FOR_DELIVERY", proof=ref(98))  # fmt: skip
    pending = node.ledger.document(ebl)
    assert (pending.away, pending.state.value) == (
        Away.TRANSFERRED_OUT,
        "PENDING_SURRENDER_FOR_DELIVERY",
    )
    node.submit("sg-dbs", Op.RECORD_RECEIVED, doc=ebl, where="AEOT", ref=ref(4), action="SACC")
    closed = node.ledger.document(ebl)
    assert (closed.away, closed.state.value, closed.holder) == (
        None,
        "SURRENDERED_FOR_DELIVERY",
        None,
    )
    expires = node.clock() + datetime.timedelta(days=1)
    release = refused(node, "sg-dbs", Op.RELEASE, doc=ebl, containers=["MSCU1234566"],
                      to="sg-importer", expires=expires)  # fmt: skip
    assert release.kind in (RefusalKind.CONFLICT, RefusalKind.FORBIDDEN)
    again = refused(node, "sg-dbs", Op.RECORD_RECEIVED, doc=ebl, where="AEOT", ref=ref(5),
                    action="TRANSFER")  # fmt: skip
    assert "closed" in again.rule


def test_a_surrender_from_another_platform_is_answered_by_the_carrier_here(node):
    ebl = issue_ebl(node)
    container = node.ledger.document(ebl).containers[0]
    node.submit("cn-exporter", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="SGTD", ref=ref(1),
                action="TRANSFER")  # fmt: skip
    node.submit("cn-exporter", Op.COMPLETE_TRANSFER_OUT, doc=ebl, ref=ref(1),
                action="TRANSFER", proof=ref(97))  # fmt: skip
    not_carrier = refused(node, "cn-boc", Op.RECORD_RECEIVED, doc=ebl, where="SGTD",
                          ref=ref(2), action="SURRENDER_FOR_DELIVERY")  # fmt: skip
    assert not_carrier.kind is RefusalKind.FORBIDDEN
    node.submit("cn-cosco", Op.RECORD_RECEIVED, doc=ebl, where="SGTD", ref=ref(2),
                action="SURRENDER_FOR_DELIVERY")  # fmt: skip
    pending = node.ledger.document(ebl)
    assert (pending.state.value, pending.holder, pending.surrendered_from) == (
        "PENDING_SURRENDER_FOR_DELIVERY",
        "cn-cosco",
        "SGTD",
    )
    by_pint = refused(node, "cn-cosco", Op.REJECT, doc=ebl, reason="unpaid")
    assert "reject it by PINT (SREJ)" in by_pint.rule
    # The rejection leaves by PINT; cancelled (no answer), the surrender is pending again.
    srej = {"doc": ebl, "where": "SGTD", "ref": ref(3), "action": "SREJ"}
    node.submit("cn-cosco", Op.BEGIN_TRANSFER_OUT, **srej)
    assert node.ledger.document(ebl).away is Away.IN_FLIGHT
    node.submit("cn-cosco", Op.CANCEL_TRANSFER_OUT, doc=ebl, ref=ref(3))
    assert node.ledger.document(ebl).surrendered_from == "SGTD"
    # Accepted here, the carrier releases the containers here.
    node.submit("cn-cosco", Op.ACCEPT, doc=ebl)
    expires = node.clock() + datetime.timedelta(days=1)
    node.submit("cn-cosco", Op.RELEASE, doc=ebl, containers=[container], to="sg-importer",
                expires=expires)  # fmt: skip
    assert node.ledger.pickup_right(container).holder == "sg-importer"
    closed = refused(node, "cn-cosco", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="SGTD",
                     ref=ref(4), action="SACC")  # fmt: skip
    assert closed.kind is RefusalKind.INVALID


def test_the_wire_names_the_field_and_rule(node):
    ebl = issue_ebl(node)
    with pytest.raises(Refusal) as bad:
        node.submit("cn-exporter", Op.EXPORT_EBL, doc=ebl, where="nowhere", ref=TOKEN)
    assert bad.value.rule.startswith("where:")
    missing = refused(node, "cn-exporter", Op.BEGIN_TRANSFER_OUT, doc=ebl, where="SGTD",
                      ref=ref(1))  # fmt: skip
    assert missing.rule == "BEGIN_TRANSFER_OUT needs action (the PINT transaction code)"
