"""What the ledger keeps of a rail consignment besides its record: the route, wagons and seals
of its note (``RailRoute``), recorded once by its issuer (``RAIL_REGISTER``), and the border
events recorded on it since (``RAIL_EVENT``).

The consignment note itself stays off the ledger; its route is what the rules read, so every
node (and an auditor with nothing but the ledger's entries) can replay them. A route is
checked with the note's own rules for wagons, containers, seals and border pairs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from chaincode.documents.base import Part, RuleViolation, TradeDocument
from chaincode.documents.codes import CountryCode, Text
from chaincode.documents.rail import BorderCrossing, RailConsignment, Seal, Station, Wagon
from chaincode.identifiers import OrgId
from chaincode.rail.events import RecordedEvent

# A crossing's events are told apart by the crossing's number; 32 keeps a crossing set to
# one machine word (an EVM contract for rail records, not written yet, would keep one bit
# per crossing).
MAX_CROSSINGS = 32


class RailRoute(TradeDocument):
    """A consignment's route, wagons and seals, as its note gives them."""

    kind: ClassVar[str] = "rail-route"

    noteNumber: Text  # noqa: N815 (the note's field names)
    departureStation: Station  # noqa: N815
    destinationStation: Station  # noqa: N815
    borderCrossings: list[BorderCrossing] = Field(  # noqa: N815
        default_factory=list, max_length=MAX_CROSSINGS
    )
    wagons: list[Wagon] = Field(min_length=1, max_length=1000)
    seals: list[Seal] = Field(default_factory=list, max_length=2000)

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        # The note's rules read only its wagons, seals and border crossings: the same fields.
        yield from RailConsignment.document_rules(raw)

    def issuing_country(self) -> str | None:
        return self.departureStation.country

    @classmethod
    def of(cls, consignment: RailConsignment) -> RailRoute:
        return cls(
            noteNumber=consignment.noteNumber,
            departureStation=consignment.departureStation,
            destinationStation=consignment.destinationStation,
            borderCrossings=list(consignment.borderCrossings),
            wagons=list(consignment.wagons),
            seals=list(consignment.seals),
        )


class RailOrigin(Part):
    """Where a consignment held on another country's ledger was registered (``RAIL_IMPORT``):
    the origin country, the issuer of record there, the signed consignment note as that
    issuer signed it (the tdx envelope, JSON text), and what the receiving node found when it
    verified the note on arrival against the origin's ledger (the issuing node's signed
    answer and inclusion proof, in words)."""

    country: CountryCode
    issuer: OrgId
    document: str = Field(min_length=2, max_length=2_000_000)
    evidence: str = Field(min_length=1, max_length=2000)


@dataclass(frozen=True)
class RouteRecord:
    """A consignment's registered route: the consignment (its digest and the rail operator
    that issued it, whose record the route belongs to), and when it was registered."""

    doc: str
    issuer: str
    route: RailRoute
    registered_at: datetime.datetime


@dataclass(frozen=True)
class EventRecord:
    """A border event recorded on the consignment ``doc`` issued by ``issuer``."""

    doc: str
    issuer: str
    recorded: RecordedEvent


__all__ = ["MAX_CROSSINGS", "EventRecord", "RailOrigin", "RailRoute", "RouteRecord"]
