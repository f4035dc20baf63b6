"""What the ledger remembers about each document and each pickup right.

Records are immutable values; a rule returns new records, and the ledger stores them in
the same atomic step as the log entry that caused them.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field, replace

from chaincode.documents.registry import DocumentKind
from identity.roles import Role


class DocState(enum.StrEnum):
    # Certificates of origin, quarantine certificates, rail consignments.
    ISSUED = "ISSUED"
    AMENDED = "AMENDED"
    REPLACED = "REPLACED"
    REVOKED = "REVOKED"
    # eBLs, with DCSA's status names.
    PENDING_SURRENDER_FOR_DELIVERY = "PENDING_SURRENDER_FOR_DELIVERY"
    PENDING_SURRENDER_FOR_AMENDMENT = "PENDING_SURRENDER_FOR_AMENDMENT"
    SURRENDERED_FOR_DELIVERY = "SURRENDERED_FOR_DELIVERY"
    SURRENDERED_FOR_AMENDMENT = "SURRENDERED_FOR_AMENDMENT"
    VOIDED = "VOIDED"


class Away(enum.StrEnum):
    """Where control of an eBL lives while it is not on this ledger
    (``chaincode.external_control``)."""

    EXPORTED = "exported"  # minted on a TradeTrust token registry
    IN_FLIGHT = "in_flight"  # a PINT envelope awaits the receiving platform's signed answer
    TRANSFERRED_OUT = "transferred_out"  # another PINT platform accepted it


PENDING = {
    DocState.PENDING_SURRENDER_FOR_DELIVERY: DocState.SURRENDERED_FOR_DELIVERY,
    DocState.PENDING_SURRENDER_FOR_AMENDMENT: DocState.SURRENDERED_FOR_AMENDMENT,
}


@dataclass(frozen=True)
class Actor:
    """An organisation as its verified certificate states it."""

    id: str
    country: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class DocumentRecord:
    """One organisation's record of one digest. Records are keyed by (id, issuer): each
    issuer anchors in its own namespace, so anchoring a digest another organisation
    anchored creates a second record and never touches the first."""

    id: str
    kind: DocumentKind
    issuer: str
    country: str | None
    state: DocState
    issued_at: datetime.datetime
    containers: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    supersedes: str | None = None
    superseded_by: str | None = None
    batch: str | None = None
    # eBL control: the carrier, and the one party that controls the document now.
    carrier: str | None = None
    holder: str | None = None
    endorsee: str | None = None
    to_order: bool = False
    surrendered_by: str | None = None
    # Exclusive control across platforms (``chaincode.external_control``): where control
    # lives while it is not here (``away``, at ``away_at``: a token registry as
    # ``eip155:<chain id>:<address>``, or a PINT platform code), the transfer that moved it
    # last (a PINT envelope's last chain entry checksum, or the TradeTrust token id), the
    # PINT platform of its carrier when that is another one (an eBL received by PINT), and
    # the platform a pending surrender came from.
    away: Away | None = None
    away_at: str | None = None
    transfer: str | None = None
    carrier_platform: str | None = None
    surrendered_from: str | None = None

    def evolve(self, **changes: object) -> DocumentRecord:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PickupRight:
    """The right to collect one released container at gate-out, once, before expiry, at
    the place the release bound it to: a named terminal, or any terminal of a country.

    ``ebl`` and ``released_by`` (its carrier) together name the eBL it was released under."""

    container: str
    ebl: str
    holder: str
    expires: datetime.datetime
    released_by: str
    delegations: tuple[str, ...] = field(default=())
    picked_up_at: datetime.datetime | None = None
    picked_up_by: str | None = None
    country: str | None = None
    terminal: str | None = None

    def live(self, at: datetime.datetime) -> bool:
        """Not yet picked up, and not expired at ``at``."""
        return self.picked_up_at is None and at < self.expires

    def evolve(self, **changes: object) -> PickupRight:
        return replace(self, **changes)  # type: ignore[arg-type]
