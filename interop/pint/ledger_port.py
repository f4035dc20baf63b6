"""The narrow port through which PINT moves control of an eBL on a platform's own ledger.

PINT itself only carries envelopes and signed answers; exclusive control (MLETR (c) and
(e)) is the ledger's. A platform implements ``PintLedger`` on its ledger and
``PartyDirectory`` on its accounts; ``interop.pint`` calls nothing else.

The states an eBL has on one platform's ledger, as PINT sees them (``LocalControl``):

- ``ABSENT``: this ledger never held the eBL;
- ``HELD``: a party on this platform controls it (its possessor, or the carrier while a
  surrender awaits an answer); only here may control actions happen;
- ``IN_FLIGHT``: an envelope is on its way to another platform and no signed answer has
  come back; no control action of any kind is possible (not even a retry elsewhere);
- ``TRANSFERRED_OUT``: another platform answered a signed ``RECE`` or ``DUPE``; this
  platform can never act on the eBL again unless an envelope brings it back;
- ``CLOSED``: the carrier here accepted its surrender (``SACC``): nothing more happens.

Every method is idempotent for the same transfer (keyed by ``last_entry_checksum``): a
crashed sender or receiver retries it.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from interop.pint.models import ActionCode, IdentifyingCode, Party, ResponseCode


class LocalControl(enum.StrEnum):
    ABSENT = "absent"
    HELD = "held"
    IN_FLIGHT = "in_flight"
    TRANSFERRED_OUT = "transferred_out"
    CLOSED = "closed"


class ControlRefusedError(Exception):
    """The ledger refuses: the actor does not control the eBL, or it is in flight or gone."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


@dataclass(frozen=True)
class OutboundTransfer:
    """An envelope this platform sends: whose control moves, to which platform and party."""

    td_checksum: str
    actor: str  # the local account whose transaction ends the new chain entry
    action: ActionCode  # that transaction's code
    to_platform: str
    recipient: Party
    last_entry_checksum: str  # the new entry's checksum: the transfer's identity

    @property
    def moves_control(self) -> bool:
        """SACC only notifies: the eBL stays surrendered where it is."""
        return self.action is not ActionCode.SACC


@dataclass(frozen=True)
class SignedAnswer:
    """The receiving platform's signed ``EnvelopeTransferFinishedResponse``, verbatim."""

    code: ResponseCode
    platform: str
    jws: str
    received_at: datetime.datetime


@dataclass(frozen=True)
class InboundTransfer:
    """An envelope this platform accepted, after every check passed."""

    td_checksum: str
    transport_document: Mapping[str, Any]
    from_platform: str
    action: ActionCode  # the chain's last transaction
    actor: Party
    recipient: Party
    recipient_account: str  # the local account the recipient is
    carrier: Party
    carrier_platform: str
    chain: tuple[str, ...]  # every entry, verbatim
    last_entry_checksum: str
    documents: tuple[str, ...]  # checksums of the additional documents received
    received_at: datetime.datetime


class PintLedger(Protocol):
    def control(self, td_checksum: str) -> LocalControl:
        """Where control of the eBL is, as this ledger knows it."""
        ...

    def begin_transfer_out(self, transfer: OutboundTransfer) -> None:
        """Before anything is sent: ``HELD`` → ``IN_FLIGHT`` (to ``transfer.to_platform``).

        Refuse (``ControlRefusedError``) unless ``transfer.actor`` may take
        ``transfer.action`` now: the possessor for TRANSFER, ENDORSE*, ISSUE and the
        surrenders; the carrier with a pending surrender for SREJ; the carrier of a
        ``CLOSED`` eBL for SACC (which notifies and leaves control where it is). Already in
        flight for this same transfer: do nothing. In flight elsewhere: refuse.
        """
        ...

    def complete_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer) -> None:
        """After a verified signed RECE or DUPE: ``IN_FLIGHT`` → ``TRANSFERRED_OUT``, for
        good (keep ``answer.jws`` as the proof). For SACC: record the notice only."""
        ...

    def cancel_transfer_out(self, transfer: OutboundTransfer, answer: SignedAnswer | None) -> None:
        """After a verified signed BENV or BSIG (or before anything was sent):
        ``IN_FLIGHT`` → ``HELD``, control back to ``transfer.actor``."""
        ...

    def record_received(self, transfer: InboundTransfer) -> None:
        """Record the eBL arriving from ``transfer.from_platform``: after TRANSFER, ISSUE or
        SREJ ``transfer.recipient_account`` holds it; after a surrender the carrier here
        holds it with the surrender pending; after SACC it is ``CLOSED``. Refuse
        (``ControlRefusedError``, answered ``DISE``) if the ledger contradicts it."""
        ...


@dataclass(frozen=True)
class Account:
    """A party on this platform, and how PINT names it."""

    id: str  # the platform's own account id (a tdx organisation id)
    party: Party


class PartyDirectory(Protocol):
    def find(self, code: IdentifyingCode) -> Account | None:
        """The one active account this code names on this platform, or None."""
        ...

    def account(self, account_id: str) -> Account | None:
        """An account by its own id."""
        ...
