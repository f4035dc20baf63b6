"""The release-time report as a chart, drawn on the server as SVG (no chart script): per
border pair, the dwell from arrival to the release decision, p50 and p90, as horizontal bars
on one scale in hours. The template draws the shapes computed here; a table beside the chart
gives the same figures to a screen reader."""

from __future__ import annotations

from dataclasses import dataclass

from chaincode.rail.report import ReleaseTimeReport

WIDTH = 640
LABEL_WIDTH = 200  # the pair's name and the bar's key, left of the bars
ROW = 64  # the height of one pair: its two bars and a gap
BAR = 22
TOP = 8


@dataclass(frozen=True)
class Bar:
    key: str  # "p50" or "p90"
    hours: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class PairRow:
    pair: str
    y: float  # where the pair's label sits
    decisions: int
    direct_releases: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class DwellChart:
    width: int
    height: int
    scale_hours: float
    rows: tuple[PairRow, ...]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def dwell_chart(report: ReleaseTimeReport) -> DwellChart | None:
    """The chart of ``report``'s pairs that have a decision; None when none has."""
    pairs = [p for p in report.pairs if p.arrival_to_decision.count]
    if not pairs:
        return None
    longest = max(
        (h for p in pairs for h in (_hours(p.arrival_to_decision.p90),) if h is not None),
        default=0.0,
    )
    scale = max(longest, 1.0)
    room = WIDTH - LABEL_WIDTH - 70  # space for the figure after the bar
    rows = []
    for i, p in enumerate(pairs):
        top = TOP + i * ROW
        bars = []
        for j, (key, seconds) in enumerate(
            (("p50", p.arrival_to_decision.p50), ("p90", p.arrival_to_decision.p90))
        ):
            hours = _hours(seconds) or 0.0
            y = top + 16 + j * (BAR + 2)
            bars.append(Bar(key, hours, LABEL_WIDTH, y, max(room * hours / scale, 1.0), BAR))
        rows.append(PairRow(p.pair, top + 12, p.decisions, p.direct_releases, tuple(bars)))
    return DwellChart(WIDTH, TOP + len(pairs) * ROW + 8, scale, tuple(rows))


__all__ = ["Bar", "DwellChart", "PairRow", "dwell_chart"]
