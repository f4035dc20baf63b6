"""The release-time report (口岸放行时间评价) per border crossing, from recorded events.

For each pair of border stations: how many consignments arrived, how many were decided and
how many of those released directly, and the dwell from the first arrival at the pair to the
release decision and to the last departure from the pair, as p50, p90 and maximum in seconds.
Percentiles are nearest-rank (the smallest value with at least that share of values at or
below it), so every figure is one of the measured dwells. The report is a pure function of
the journeys: the same ledger entries give the same report, whatever their order.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaincode.documents.rail import BorderCrossing
from chaincode.rail.events import EventType, Outcome, RecordedEvent
from chaincode.rail.route import Consignment, crossing_at, crossing_label


@dataclass(frozen=True)
class Journey:
    """One consignment and its events, in ledger order."""

    consignment_id: str
    consignment: Consignment
    events: tuple[RecordedEvent, ...]


@dataclass(frozen=True)
class DwellStats:
    count: int
    p50: float | None
    p90: float | None
    max: float | None

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "p50": self.p50, "p90": self.p90, "max": self.max}


@dataclass(frozen=True)
class PairReport:
    pair: str
    exit_station: str
    entry_station: str
    consignments: int
    decisions: int
    direct_releases: int
    arrival_to_decision: DwellStats
    arrival_to_departure: DwellStats

    @property
    def direct_share(self) -> float | None:
        return self.direct_releases / self.decisions if self.decisions else None

    def as_json(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "exitStation": self.exit_station,
            "entryStation": self.entry_station,
            "consignments": self.consignments,
            "decisions": self.decisions,
            "directReleases": self.direct_releases,
            "directShare": self.direct_share,
            "arrivalToDecisionSeconds": self.arrival_to_decision.as_json(),
            "arrivalToDepartureSeconds": self.arrival_to_departure.as_json(),
        }

    def as_row(self) -> dict[str, Any]:
        """One flat row (for CSV): the pair, its counts, and each dwell's figures."""
        row: dict[str, Any] = {
            "pair": self.pair,
            "exitStation": self.exit_station,
            "entryStation": self.entry_station,
            "consignments": self.consignments,
            "decisions": self.decisions,
            "directReleases": self.direct_releases,
            "directShare": self.direct_share,
        }
        for name, stats in (
            ("arrivalToDecision", self.arrival_to_decision),
            ("arrivalToDeparture", self.arrival_to_departure),
        ):
            for key, value in stats.as_json().items():
                row[f"{name}{key[0].upper()}{key[1:]}"] = value
        return row


@dataclass(frozen=True)
class ReleaseTimeReport:
    pairs: tuple[PairReport, ...]

    def as_json(self) -> dict[str, Any]:
        return {"pairs": [p.as_json() for p in self.pairs]}


def percentile(values: Sequence[float], percent: int) -> float | None:
    """Nearest-rank percentile of ``values`` (``percent`` in 1..100), or None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil without floating point
    return ordered[max(rank, 1) - 1]


def dwell_stats(values: Sequence[float]) -> DwellStats:
    return DwellStats(
        len(values), percentile(values, 50), percentile(values, 90), max(values, default=None)
    )


@dataclass
class _Pair:
    labels: set[str] = field(default_factory=set)
    consignments: int = 0
    decisions: int = 0
    direct: int = 0
    to_decision: list[float] = field(default_factory=list)
    to_departure: list[float] = field(default_factory=list)


def _seconds(start: datetime.datetime, end: datetime.datetime) -> float:
    return (end - start).total_seconds()


def border_matches(border: str, crossing: BorderCrossing) -> bool:
    """Whether ``border`` names this crossing: by its stations' names (``Alashankou-Dostyk``,
    any case) or codes (``892305-708507``)."""
    wanted = border.strip().casefold()
    codes = f"{crossing.exitStation.code}-{crossing.entryStation.code}"
    return wanted in (crossing_label(crossing).casefold(), codes)


def release_time_report(
    journeys: Iterable[Journey],
    border: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> ReleaseTimeReport:
    """The report over ``journeys``; only the crossing ``border`` names (``border_matches``),
    and only arrivals at a crossing from ``since`` (inclusive) to ``until`` (exclusive)."""
    pairs: dict[tuple[str, str], _Pair] = {}
    for journey in journeys:
        consignment = journey.consignment
        for i, crossing in enumerate(consignment.borderCrossings):
            if border is not None and not border_matches(border, crossing):
                continue
            here = [
                r.event for r in journey.events if crossing_at(consignment, r.event.station) == i
            ]
            arrival = next((e.time for e in here if e.type == EventType.ARRIVAL), None)
            if arrival is None:
                continue
            if (since is not None and arrival < since) or (until is not None and arrival >= until):
                continue
            key = (crossing.exitStation.code, crossing.entryStation.code)
            pair = pairs.setdefault(key, _Pair())
            pair.labels.add(crossing_label(crossing))
            pair.consignments += 1
            decision = next((e for e in here if e.type == EventType.RELEASE_DECISION), None)
            if decision is not None:
                pair.decisions += 1
                pair.direct += decision.decision == Outcome.DIRECT_RELEASE
                pair.to_decision.append(_seconds(arrival, decision.time))
            departures = [e.time for e in here if e.type == EventType.DEPARTURE]
            if departures:
                pair.to_departure.append(_seconds(arrival, departures[-1]))
    reports = [
        PairReport(
            pair=min(pair.labels),
            exit_station=key[0],
            entry_station=key[1],
            consignments=pair.consignments,
            decisions=pair.decisions,
            direct_releases=pair.direct,
            arrival_to_decision=dwell_stats(pair.to_decision),
            arrival_to_departure=dwell_stats(pair.to_departure),
        )
        for key, pair in pairs.items()
    ]
    reports.sort(key=lambda r: (r.pair, r.exit_station, r.entry_station))
    return ReleaseTimeReport(tuple(reports))
