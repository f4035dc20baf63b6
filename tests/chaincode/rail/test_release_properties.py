"""Random seal checks and transshipments at Dostyk, judged by the release rule and by an
independent oracle written here."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.rail.events import Outcome
from chaincode.rail.recording import EventRefusal, check_event
from chaincode.rail.release import assess_release
from tests.chaincode.rail.corridor import (
    FIRST,
    FIRST_SEAL,
    FIRST_WAGON,
    KZ_CUSTOMS,
    SECOND,
    SECOND_SEAL,
    SECOND_WAGON,
    check,
    consignment,
    event,
    move,
    recorded,
)

NOTE = consignment()
CONTAINERS = (FIRST, SECOND)

checks = st.tuples(
    st.just("check"),
    st.integers(0, 1),  # which seal
    # mostly intact, so that direct releases (and near misses) are common
    st.sampled_from(["INTACT"] * 4 + ["BROKEN", "MISSING", "REPLACED", "REPLACED"]),
    st.sampled_from(["CUSTOMS", "CUSTOMS", "CARRIER"]),  # who seals, when replaced
    st.integers(0, 9).map(lambda n: n == 0),  # name the seal's original number, not its current
)
moves = st.tuples(st.just("move"), st.integers(0, 1))
steps = st.lists(st.one_of(checks, checks, moves), max_size=10)


class Oracle:
    def __init__(self) -> None:
        self.current = [FIRST_SEAL, SECOND_SEAL]
        self.observed = [False, False]
        self.bad = [False, False]  # broken or missing
        self.pending = [False, False]  # replaced, new seal not checked intact since
        self.not_customs = [False, False]
        self.moved = [False, False]  # moved, not checked intact since
        self.unknown = False
        self.wagons = [FIRST_WAGON, SECOND_WAGON]

    def direct(self) -> bool:
        return not self.unknown and all(
            self.observed[i]
            and not (self.bad[i] or self.pending[i] or self.not_customs[i] or self.moved[i])
            for i in range(2)
        )


def play(plan):
    oracle = Oracle()
    events = [event("ARRIVAL")]
    fresh = 0
    for minute, step in enumerate(plan, start=1):
        if step[0] == "move":
            i = step[1]
            fresh += 1
            to_wagon = f"{52000000 + fresh}"
            events.append(move(CONTAINERS[i], oracle.wagons[i], to_wagon, minute=minute))
            oracle.wagons[i] = to_wagon
            oracle.moved[i] = True
            continue
        _, i, result, party, stale = step
        number = (FIRST_SEAL, SECOND_SEAL)[i] if stale else oracle.current[i]
        if number != oracle.current[i]:
            oracle.unknown = True
            seal = (number, "INTACT")
        elif result == "REPLACED":
            fresh += 1
            new = {"number": f"N{fresh}", "type": "SMART_LOCK", "sealingParty": party}
            seal = (number, result, new)
            oracle.current[i] = new["number"]
            oracle.observed[i] = True
            oracle.pending[i] = True
            oracle.not_customs[i] |= party != "CUSTOMS"
        else:
            seal = (number, result)
            oracle.observed[i] = True
            if result == "INTACT":
                oracle.pending[i] = oracle.moved[i] = False
            else:
                oracle.bad[i] = True
        events.append(check(seal, minute=minute))
    return events, oracle


@settings(max_examples=400, deadline=None)
@given(steps)
def test_direct_release_only_when_every_seal_is_unchanged(plan):
    events, oracle = play(plan)
    assessment = assess_release(NOTE, recorded(*events), 0)
    if any(oracle.bad) or any(oracle.pending) or oracle.unknown:
        # broken, missing, or replaced without a later check: never a direct release
        assert assessment.outcome == Outcome.INSPECTION_REQUIRED
    expected = Outcome.DIRECT_RELEASE if oracle.direct() else Outcome.INSPECTION_REQUIRED
    assert assessment.outcome == expected
    assert (assessment.findings == ()) == (expected == Outcome.DIRECT_RELEASE)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_customs_can_record_a_direct_release_only_when_the_rule_allows(plan):
    events, oracle = play(plan)
    decision = event("RELEASE_DECISION", minute=100, decision="DIRECT_RELEASE")
    history = recorded(*events, by=KZ_CUSTOMS.id)
    if oracle.direct():
        assert check_event(NOTE, history, decision, KZ_CUSTOMS).event.decision == "DIRECT_RELEASE"
    else:
        with pytest.raises(EventRefusal) as refused:
            check_event(NOTE, history, decision, KZ_CUSTOMS)
        assert refused.value.name == "direct_release_needs_unchanged_seals"
