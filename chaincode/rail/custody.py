"""The chain of custody of each seal, and where each container is, from the events.

A seal found broken or missing stays in its chain under its number; a replaced seal links
the old number to the new one, with the new seal's type and sealing party, and who replaced
it, where and when. Later checks name the new number. Transshipments move containers from
wagon to wagon. Unknown seal numbers and impossible moves are left out here: the recording
rules refuse them, and the release rule reports them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from chaincode.documents.rail import Seal
from chaincode.rail.events import EventType, RecordedEvent, SealResult
from chaincode.rail.route import Consignment


@dataclass(frozen=True)
class CustodyLink:
    """One replacement: the seal ``old`` came off, ``new`` went on."""

    old: str
    new: str
    new_type: str
    sealing_party: str
    by: str
    station: str
    time: datetime.datetime


@dataclass(frozen=True)
class SealChain:
    """A seal of the consignment note and every seal that replaced it since."""

    original: Seal
    links: tuple[CustodyLink, ...] = ()

    @property
    def current(self) -> str:
        return self.links[-1].new if self.links else self.original.number

    @property
    def numbers(self) -> tuple[str, ...]:
        return (self.original.number, *(link.new for link in self.links))

    @property
    def unit(self) -> str:
        """The container or wagon the seal is on."""
        unit = self.original.containerNumber or self.original.wagonNumber
        assert unit is not None  # the consignment's rules require one of the two
        return unit


@dataclass(frozen=True)
class CustodyState:
    chains: tuple[SealChain, ...]
    wagon_of: dict[str, str]  # container -> the wagon it is on now

    def chain_index(self, current: str) -> int | None:
        for i, chain in enumerate(self.chains):
            if chain.current == current:
                return i
        return None


def initial_state(consignment: Consignment) -> CustodyState:
    return CustodyState(
        chains=tuple(SealChain(seal) for seal in consignment.seals),
        wagon_of={c: w.number for w in consignment.wagons for c in w.containers},
    )


def apply_event(state: CustodyState, recorded: RecordedEvent) -> CustodyState:
    """The custody state after one event."""
    event = recorded.event
    if event.type == EventType.TRANSSHIPMENT:
        wagon_of = dict(state.wagon_of)
        for move in event.moves:
            if wagon_of.get(move.container) == move.fromWagon:
                wagon_of[move.container] = move.toWagon
        return CustodyState(state.chains, wagon_of)
    if event.type != EventType.SEAL_CHECK:
        return state
    chains = list(state.chains)
    for seal in event.seals:
        if seal.result != SealResult.REPLACED or seal.newSeal is None:
            continue
        i = state.chain_index(seal.sealNumber)
        if i is None:
            continue
        link = CustodyLink(
            old=seal.sealNumber,
            new=seal.newSeal.number,
            new_type=seal.newSeal.type,
            sealing_party=seal.newSeal.sealingParty,
            by=recorded.by,
            station=event.station,
            time=event.time,
        )
        chains[i] = SealChain(chains[i].original, (*chains[i].links, link))
    return CustodyState(tuple(chains), state.wagon_of)


def custody(consignment: Consignment, events: Sequence[RecordedEvent]) -> CustodyState:
    """The chains of custody and container positions after all ``events``, in ledger order."""
    state = initial_state(consignment)
    for recorded in events:
        state = apply_event(state, recorded)
    return state
