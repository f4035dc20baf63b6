"""The release rule at a border crossing (关铁通): seals unchanged means direct release.

Every seal of the consignment must have been checked at the crossing and found intact, and
after a container was moved from wagon to wagon its seals must have been checked again.
A seal replaced under customs seal (sealing party CUSTOMS) keeps its chain of custody and
counts as intact once the new seal has been checked intact after the replacement. Anything
else (broken, missing, never checked, replaced without a later check or not by customs, a
seal number the consignment does not know, a container without any seal, no arrival)
requires inspection, and the assessment names each seal or container and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chaincode.rail.custody import SealChain, apply_event, initial_state
from chaincode.rail.events import EventType, Outcome, RecordedEvent, SealResult
from chaincode.rail.route import Consignment, crossing_at


@dataclass(frozen=True)
class Finding:
    """Why one seal, container or the consignment stands in the way of a direct release."""

    subject: str  # a seal number, a container number, or "consignment"
    reason: str  # the rule's name
    detail: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class ReleaseAssessment:
    crossing: int
    outcome: Outcome
    findings: tuple[Finding, ...]
    chains: tuple[SealChain, ...]  # the chains of custody as they stand


@dataclass
class _SealAtCrossing:
    observed: bool = False
    bad: list[str] = field(default_factory=list)  # "broken" / "missing", with where
    awaiting_check: str | None = None  # the new seal's number, until checked intact
    replaced_not_by_customs: list[str] = field(default_factory=list)
    moved_unchecked: str | None = None  # the wagon the container was moved to


def assess_release(
    consignment: Consignment, events: Sequence[RecordedEvent], crossing: int
) -> ReleaseAssessment:
    """The release outcome at border crossing number ``crossing``, from the events so far."""
    state = initial_state(consignment)
    seals = [_SealAtCrossing() for _ in state.chains]
    findings: list[Finding] = []
    arrived = False
    for recorded in events:
        event = recorded.event
        here = crossing_at(consignment, event.station) == crossing
        if here and event.type == EventType.ARRIVAL:
            arrived = True
        if here and event.type == EventType.SEAL_CHECK:
            for seal in event.seals:
                i = state.chain_index(seal.sealNumber)
                if i is None:
                    findings.append(
                        Finding(
                            seal.sealNumber,
                            "unknown_seal",
                            f"checked at {event.station}, but no seal of the consignment "
                            f"carries this number now",
                        )
                    )
                    continue
                at = seals[i]
                at.observed = True
                if seal.result in (SealResult.BROKEN, SealResult.MISSING):
                    at.bad.append(f"{seal.result.lower()} at {event.station}")
                elif seal.result == SealResult.INTACT:
                    at.awaiting_check = None
                    at.moved_unchecked = None
                elif seal.newSeal is not None:  # REPLACED
                    at.awaiting_check = seal.newSeal.number
                    if seal.newSeal.sealingParty != "CUSTOMS":
                        at.replaced_not_by_customs.append(
                            f"{seal.sealNumber} -> {seal.newSeal.number} by "
                            f"{seal.newSeal.sealingParty.lower()} ({recorded.by})"
                        )
        if here and event.type == EventType.TRANSSHIPMENT:
            moved = {m.container: m.toWagon for m in event.moves}
            for i, chain in enumerate(state.chains):
                if chain.original.containerNumber in moved:
                    seals[i].moved_unchecked = moved[chain.original.containerNumber]
        state = apply_event(state, recorded)
    if not arrived:
        findings.append(Finding("consignment", "no_arrival", "no arrival at this crossing"))
    for chain, at in zip(state.chains, seals, strict=True):
        findings.extend(_seal_findings(chain, at))
    sealed = {c.original.containerNumber for c in state.chains}
    for wagon in consignment.wagons:
        for container in wagon.containers:
            if container not in sealed:
                findings.append(
                    Finding(container, "unsealed_container", "the note lists no seal on it")
                )
    outcome = Outcome.INSPECTION_REQUIRED if findings else Outcome.DIRECT_RELEASE
    return ReleaseAssessment(crossing, outcome, tuple(findings), state.chains)


def _seal_findings(chain: SealChain, at: _SealAtCrossing) -> list[Finding]:
    subject = chain.current
    on = f"on {chain.unit}"
    if not at.observed:
        return [Finding(subject, "not_checked", f"no seal check {on} at this crossing")]
    found = [Finding(subject, bad.split(" ", 1)[0], f"{bad}, {on}") for bad in at.bad]
    if at.awaiting_check is not None:
        found.append(
            Finding(
                subject,
                "replaced_without_later_check",
                f"new seal {at.awaiting_check} {on} was not checked after the replacement",
            )
        )
    for text in at.replaced_not_by_customs:
        found.append(
            Finding(subject, "replaced_not_by_customs", f"{text}, {on}; not a customs seal")
        )
    if at.moved_unchecked is not None:
        found.append(
            Finding(
                subject,
                "unchecked_after_transshipment",
                f"{chain.unit} moved to wagon {at.moved_unchecked}, no seal check after",
            )
        )
    return found


def release_outcome(
    consignment: Consignment, events: Sequence[RecordedEvent], crossing: int
) -> Outcome:
    return assess_release(consignment, events, crossing).outcome
