"""What a transfer chain says happened to an eBL, read transaction by transaction.

The walk follows possession as DCSA's ``Transaction.actionCode`` text defines it:
``ISSUE`` exactly once, first; only the possessor transfers, endorses, signs or surrenders;
a surrender goes to the carrier that issued the eBL; only that carrier answers it (``SACC``
or ``SREJ``), and nothing follows ``SACC``. Every transaction of an entry is made on the
platform that signed the entry, and action times never go backwards. A chain that breaks
any of this is refused (``BENV``) by the receiver, naming the entry, the transaction and the
rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from interop.pint.models import (
    SURRENDERS,
    ActionCode,
    Party,
    Transaction,
    TransferChainEntry,
    parse_action_date_time,
)


class ChainError(ValueError):
    """The chain contradicts itself or DCSA's rules; the message names where and why."""


@dataclass(frozen=True)
class ChainFacts:
    """Where a chain leaves the eBL."""

    carrier: Party  # the actor of ISSUE
    carrier_platform: str  # the platform that signed the first entry
    possessor: Party | None  # who holds it now (the carrier while a surrender is pending)
    surrendered_by: Party | None  # a surrender awaiting the carrier's answer
    accepted_surrender: bool  # SACC recorded: nothing may follow
    last: Transaction

    @property
    def action(self) -> ActionCode:
        return ActionCode(self.last.actionCode)


@dataclass
class _Walk:
    carrier: Party | None = None
    possessor: Party | None = None
    pending: Party | None = None
    closed: bool = False
    time: datetime.datetime | None = None


def _code(tx: Transaction, where: str) -> ActionCode:
    try:
        return ActionCode(tx.actionCode)
    except ValueError:
        allowed = ", ".join(c.value for c in ActionCode)
        raise ChainError(f"{where}: actionCode {tx.actionCode!r} is not one of {allowed}") from None


def _recipient(tx: Transaction, where: str) -> Party:
    if tx.recipient is None:
        raise ChainError(f"{where}: {tx.actionCode} needs a recipient")
    return tx.recipient


def _possessor(walk: _Walk, tx: Transaction, where: str) -> None:
    if walk.possessor is None or not tx.actor.is_same(walk.possessor):
        holder = walk.possessor.describe() if walk.possessor else "nobody"
        raise ChainError(
            f"{where}: {tx.actor.describe()} is not the possessor ({holder}) and cannot "
            f"{tx.actionCode}"
        )
    if walk.pending is not None:
        raise ChainError(f"{where}: a surrender awaits the carrier's answer; no {tx.actionCode}")


def _step(walk: _Walk, tx: Transaction, code: ActionCode, where: str) -> None:
    carrier = walk.carrier
    assert carrier is not None
    if code is ActionCode.ISSUE:
        raise ChainError(f"{where}: ISSUE comes exactly once, as the first transaction")
    if code is ActionCode.TRANSFER:
        _possessor(walk, tx, where)
        walk.possessor = _recipient(tx, where)
    elif code in (ActionCode.ENDORSE, ActionCode.ENDORSE_TO_ORDER):
        _possessor(walk, tx, where)
        _recipient(tx, where)  # the new endorsee; possession does not move
    elif code in (ActionCode.BLANK_ENDORSE, ActionCode.SIGN):
        _possessor(walk, tx, where)
    elif code in SURRENDERS:
        _possessor(walk, tx, where)
        to = _recipient(tx, where)
        if not to.is_same(carrier):
            raise ChainError(
                f"{where}: a surrender is addressed to the carrier that issued the eBL "
                f"({carrier.describe()}), not to {to.describe()}"
            )
        walk.pending, walk.possessor = tx.actor, carrier
    else:  # SACC or SREJ: the carrier answers a pending surrender
        if not tx.actor.is_same(carrier):
            raise ChainError(
                f"{where}: only the carrier ({carrier.describe()}) answers a surrender"
            )
        if walk.pending is None:
            raise ChainError(f"{where}: {code.value} answers no pending surrender")
        if code is ActionCode.SACC:
            walk.closed = True
        else:
            to = _recipient(tx, where)
            if not to.is_same(walk.pending):
                raise ChainError(
                    f"{where}: SREJ returns the eBL to the party that surrendered it "
                    f"({walk.pending.describe()})"
                )
            walk.possessor, walk.pending = to, None


def walk(entries: Sequence[TransferChainEntry]) -> ChainFacts:
    """Follow every transaction of the chain; raise ChainError at the first broken rule."""
    state = _Walk()
    last: Transaction | None = None
    for i, entry in enumerate(entries):
        for j, tx in enumerate(entry.transactions):
            where = f"entry {i} transaction {j}"
            if state.closed:
                raise ChainError(f"{where}: nothing may follow SACC (the surrender was accepted)")
            code = _code(tx, where)
            try:
                at = parse_action_date_time(tx.actionDateTime)
            except ValueError as exc:
                raise ChainError(f"{where}: actionDateTime {exc}") from None
            if state.time is not None and at < state.time:
                raise ChainError(f"{where}: actionDateTime goes back in time")
            state.time = at
            if tx.actor.eblPlatform != entry.eblPlatform:
                raise ChainError(
                    f"{where}: the actor is on {tx.actor.eblPlatform} but the entry is signed "
                    f"by {entry.eblPlatform}"
                )
            if i == 0 and j == 0:
                if code is not ActionCode.ISSUE:
                    raise ChainError(f"{where}: the first transaction must be ISSUE, not {code}")
                state.carrier, state.possessor = tx.actor, _recipient(tx, where)
            else:
                _step(state, tx, code, where)
            last = tx
    if state.carrier is None or last is None:
        raise ChainError("the chain records no transaction")
    return ChainFacts(
        carrier=state.carrier,
        carrier_platform=entries[0].eblPlatform,
        possessor=state.possessor,
        surrendered_by=state.pending,
        accepted_surrender=state.closed,
        last=last,
    )
