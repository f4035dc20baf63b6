"""Random sequences of eBL operations never break control (MLETR) or pick up twice."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal
from chaincode.records import DocState
from chaincode.transactions import Op
from tests.chaincode.memory_state import ACTORS, T0, MemoryState, doc_id

EBL = doc_id(1)
CONTAINERS = ["CXRU1523418", "CXRU1608726"]
PARTIES = sorted(ACTORS)
NEEDS_POSSESSION = {Op.TRANSFER, Op.ENDORSE, Op.SURRENDER}

steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                Op.TRANSFER,
                Op.ENDORSE,
                Op.SURRENDER,
                Op.ACCEPT,
                Op.REJECT,
                Op.RELEASE,
                Op.DELEGATE,
                Op.PICKUP,
            ]
        ),
        st.sampled_from(PARTIES),  # actor
        st.sampled_from(PARTIES),  # to
        st.sampled_from(CONTAINERS),
        st.sampled_from(["delivery", "amendment"]),
    ),
    max_size=40,
)


def _fields(op, to, container, purpose, step):
    later = T0 + datetime.timedelta(days=1)
    return {
        Op.TRANSFER: {"doc": EBL, "to": to},
        Op.ENDORSE: {"doc": EBL, "to": to},
        Op.SURRENDER: {"doc": EBL, "purpose": purpose},
        Op.ACCEPT: {"doc": EBL},
        Op.REJECT: {"doc": EBL, "reason": "no"},
        Op.RELEASE: {"doc": EBL, "containers": [container], "to": to, "expires": later},
        Op.DELEGATE: {"doc": EBL, "container": container, "to": to},
        Op.PICKUP: {"container": container, "to": to},
    }[op] | {"time": T0 + datetime.timedelta(minutes=step + 1)}


@settings(max_examples=300, deadline=None)
@given(steps, st.booleans())
def test_control_invariants_hold_for_any_sequence(sequence, to_order):
    state = MemoryState()
    state.run(
        "cn-cosco",
        Op.ISSUE,
        doc=EBL,
        kind=DocumentKind.EBL,
        carrier="cn-cosco",
        to="cn-exporter",
        toOrder=to_order,
        containers=CONTAINERS,
        time=T0,
    )
    pickups: dict[str, int] = {}
    for step, (op, actor, to, container, purpose) in enumerate(sequence):
        before = state.documents[EBL]
        right_before = state.rights.get(container)
        try:
            state.run(actor, op, **_fields(op, to, container, purpose, step))
        except Refusal:
            assert state.documents[EBL] == before  # a refusal changes nothing
            assert state.rights.get(container) == right_before
            continue
        after = state.documents[EBL]
        # Exactly one controller, always a known organisation.
        assert after.holder in ACTORS
        if op in NEEDS_POSSESSION:
            assert before.holder == actor, "acted without possession"
            assert before.state is DocState.ISSUED
        if op in {Op.TRANSFER, Op.ENDORSE}:
            assert after.holder == to != actor  # the previous controller is deprived
        if op is Op.DELEGATE:
            assert right_before is not None
            assert right_before.holder == actor
        if op is Op.PICKUP:
            pickups[container] = pickups.get(container, 0) + 1
            assert pickups[container] == 1, "container picked up twice"
        if before.state is DocState.SURRENDERED_FOR_DELIVERY:
            assert op in {Op.RELEASE, Op.DELEGATE, Op.PICKUP}
