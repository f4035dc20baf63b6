"""The consignment's route: its stations, and the border crossing a station belongs to.

The corridor's gauge-change pairs (1435 mm to 1520 mm) are listed for reference and for
naming a crossing in reports. Only Dostyk's code is a verified ESR code (its check digit
holds); Alashankou's is the code the example consignment uses; the others are left unset
rather than guessed. The rules never read this table: a consignment's own border crossings,
with the codes its note gives, define its route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chaincode.documents.rail import BorderCrossing, Seal, Station, Wagon


class Consignment(Protocol):
    """What the rail rules read of a consignment: its note number, route, wagons and seals.
    A ``RailConsignment`` is one; so is the ``RailRoute`` the ledger keeps of it
    (``chaincode.rail.consignment``), which lets every node replay the rules without the
    consignment note itself."""

    @property
    def noteNumber(self) -> str: ...  # noqa: N802 (the note's field name)

    @property
    def departureStation(self) -> Station: ...  # noqa: N802

    @property
    def destinationStation(self) -> Station: ...  # noqa: N802

    @property
    def borderCrossings(self) -> Sequence[BorderCrossing]: ...  # noqa: N802

    @property
    def wagons(self) -> Sequence[Wagon]: ...

    @property
    def seals(self) -> Sequence[Seal]: ...


@dataclass(frozen=True)
class GaugeChangePair:
    china: str
    partner: str
    partner_country: str
    china_code: str | None = None
    partner_code: str | None = None


GAUGE_CHANGE_PAIRS: tuple[GaugeChangePair, ...] = (
    GaugeChangePair("Alashankou", "Dostyk", "KZ", china_code="892305", partner_code="708507"),
    GaugeChangePair("Khorgos", "Altynkol", "KZ"),
    GaugeChangePair("Manzhouli", "Zabaikalsk", "RU"),
    GaugeChangePair("Erenhot", "Zamyn-Uud", "MN"),
)


def esr_check_digit(first_five: str) -> int:
    """The check digit of a 1520 mm network (ESR) station code: the digits weighted 1..5,
    modulo 11; a remainder of 10 is weighted again with 3..7, and 10 then counts as 0."""
    digits = [int(c) for c in first_five]
    rest = sum(d * w for d, w in zip(digits, range(1, 6), strict=True)) % 11
    if rest == 10:
        rest = sum(d * w for d, w in zip(digits, range(3, 8), strict=True)) % 11
    return 0 if rest == 10 else rest


def crossing_label(crossing: BorderCrossing) -> str:
    return f"{crossing.exitStation.name}-{crossing.entryStation.name}"


def route_stations(consignment: Consignment) -> dict[str, Station]:
    """Every station of the route by code: departure, border stations, destination."""
    stations = {consignment.departureStation.code: consignment.departureStation}
    for crossing in consignment.borderCrossings:
        stations[crossing.exitStation.code] = crossing.exitStation
        stations[crossing.entryStation.code] = crossing.entryStation
    stations[consignment.destinationStation.code] = consignment.destinationStation
    return stations


def crossing_at(consignment: Consignment, station: str) -> int | None:
    """The index of the border crossing whose exit or entry station this is, if any."""
    for i, crossing in enumerate(consignment.borderCrossings):
        if station in (crossing.exitStation.code, crossing.entryStation.code):
            return i
    return None


def next_country(consignment: Consignment, station: str) -> str | None:
    """The country the train enters next after ``station``: the entry country of the first
    border crossing ahead of it (the departure station and a crossing's exit station are
    before that crossing, its entry station after it), or None at or beyond the last one."""
    if station == consignment.departureStation.code:
        ahead = 0
    else:
        found = crossing_at(consignment, station)
        if found is None:
            return None
        ahead = (
            found if station == consignment.borderCrossings[found].exitStation.code else found + 1
        )
    if ahead >= len(consignment.borderCrossings):
        return None
    return consignment.borderCrossings[ahead].entryStation.country
