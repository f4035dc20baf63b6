"""The desk's offers agree with the lifecycle: along random histories of one eBL, every
operation offered to an organisation is one ``lifecycle.apply`` accepts from it, and every
operation not offered is one it refuses."""

import contextlib
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.documents.registry import DocumentKind
from chaincode.ebl_actions import (
    CONTROL_CHANGES,
    Offer,
    document_offers,
    releasable_containers,
    right_offers,
)
from chaincode.lifecycle import Refusal, apply
from chaincode.transactions import Op, Transaction
from tests.chaincode.memory_state import ACTORS, T0, MemoryState, doc_id

EBL = doc_id(7)
CONTAINERS = ["CXRU1523418", "CXRU1608726"]
PARTIES = sorted(ACTORS)
DOCUMENT_OPS = (Op.TRANSFER, Op.ENDORSE, Op.SURRENDER, Op.ACCEPT, Op.REJECT, Op.RELEASE)

steps = st.lists(
    st.tuples(
        st.sampled_from([*DOCUMENT_OPS, Op.DELEGATE, Op.PICKUP]),
        st.sampled_from(PARTIES),
        st.sampled_from(PARTIES),
        st.sampled_from(CONTAINERS),
        st.sampled_from(["delivery", "amendment"]),
        st.sampled_from([1, 3, 60 * 24 * 4]),  # minutes on: some rights expire
    ),
    max_size=25,
)


def _other(actor):
    return next(p for p in ("sg-importer", "cn-boc", "sg-haulier") if p != actor)


def _tx(op, actor, time, record_containers, right=None, **extra):
    later = time + datetime.timedelta(days=1)
    fields = {
        Op.TRANSFER: {"doc": EBL, "to": _other(actor)},
        Op.ENDORSE: {"doc": EBL, "to": _other(actor)},
        Op.SURRENDER: {"doc": EBL, "purpose": "delivery"},
        Op.ACCEPT: {"doc": EBL},
        Op.REJECT: {"doc": EBL, "reason": "not the right party"},
        Op.RELEASE: {
            "doc": EBL,
            "containers": record_containers,
            "to": "sg-importer",
            "expires": later,
        },
    }.get(op, {})
    if op is Op.DELEGATE:
        fields = {"doc": EBL, "container": right.container, "to": _other(actor)}
    if op is Op.PICKUP:
        fields = {"container": right.container, "to": right.holder}
    return Transaction(op=op, actor=actor, time=time, **(fields | extra))


def _accepted(state, tx):
    try:
        apply(tx, ACTORS[tx.actor], state)
    except Refusal:
        return False
    return True


def _check_offers(state, now):
    record = state.documents[EBL]
    rights = {c: state.rights.get(c) for c in record.containers}
    for actor_id, actor in ACTORS.items():
        offered = {o.op for o in document_offers(record, actor, rights, now)}
        releasable = list(releasable_containers(record, rights, now))
        for op in DOCUMENT_OPS:
            names = releasable if op is Op.RELEASE and releasable else list(record.containers)
            accepted = _accepted(state, _tx(op, actor_id, now, names))
            assert accepted == (op in offered), (op, actor_id, record, rights)
        for right in (r for r in rights.values() if r is not None):
            offered = {o.op for o in right_offers(right, actor, now)}
            for op in (Op.DELEGATE, Op.PICKUP):
                accepted = _accepted(state, _tx(op, actor_id, now, [], right))
                assert accepted == (op in offered), (op, actor_id, right)


@settings(max_examples=150, deadline=None)
@given(steps, st.booleans())
def test_offers_are_exactly_what_the_lifecycle_accepts(sequence, to_order):
    state = MemoryState()
    now = T0
    state.run(
        "cn-cosco",
        Op.ISSUE,
        doc=EBL,
        kind=DocumentKind.EBL,
        carrier="cn-cosco",
        to="cn-exporter",
        toOrder=to_order,
        containers=CONTAINERS,
        time=now,
    )
    _check_offers(state, now + datetime.timedelta(seconds=1))
    for op, actor, to, container, purpose, minutes in sequence:
        now += datetime.timedelta(minutes=minutes)
        right = state.rights.get(container)
        fields = {
            Op.TRANSFER: {"doc": EBL, "to": to},
            Op.ENDORSE: {"doc": EBL, "to": to},
            Op.SURRENDER: {"doc": EBL, "purpose": purpose},
            Op.ACCEPT: {"doc": EBL},
            Op.REJECT: {"doc": EBL, "reason": "no"},
            Op.RELEASE: {
                "doc": EBL,
                "containers": [container],
                "to": to,
                "expires": now + datetime.timedelta(days=1),
            },
            Op.DELEGATE: {"container": container, "to": to},
            Op.PICKUP: {"container": container, "to": right.holder if right else to},
        }[op]
        with contextlib.suppress(Refusal):
            state.run(actor, op, time=now, **fields)
        _check_offers(state, now + datetime.timedelta(seconds=1))


def test_control_changes_are_marked_for_confirmation():
    assert Offer(Op.TRANSFER).changes_control
    assert Offer(Op.RELEASE).changes_control
    assert not Offer(Op.PICKUP, "CXRU1523418").changes_control
    assert CONTROL_CHANGES.isdisjoint({Op.ISSUE, Op.PICKUP})
