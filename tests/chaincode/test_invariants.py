"""The exclusive-control state machine (``tests.chaincode.invariants``) on the pure rules."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.chaincode.invariants import ExclusiveControl

ExclusiveControl.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExclusiveControl = ExclusiveControl.TestCase
