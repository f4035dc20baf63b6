"""Which eBL operations an organisation may take now: the lifecycle's preconditions, read
the other way round, so that a desk offers only the actions the ledger would accept.

``offers`` answers for one eBL record and the pickup rights of its containers; the rules
themselves stay in ``chaincode.lifecycle``, which remains the judge when an action is
submitted (a party or a container the offer leaves open is checked there). A test holds the
two together: every operation offered here is one that ``lifecycle.apply`` accepts, and
every control operation left out is one it refuses.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from chaincode.documents.registry import DocumentKind
from chaincode.records import PENDING, Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op
from identity.roles import Role

# Operations that pass control of the eBL (or of a container) to someone else: a desk asks
# for confirmation before it submits one.
CONTROL_CHANGES = frozenset(
    {Op.TRANSFER, Op.ENDORSE, Op.SURRENDER, Op.ACCEPT, Op.REJECT, Op.RELEASE, Op.DELEGATE}
)


@dataclass(frozen=True)
class Offer:
    """One operation the organisation may take now; ``container`` for a pickup right's."""

    op: Op
    container: str | None = None

    @property
    def changes_control(self) -> bool:
        return self.op in CONTROL_CHANGES


def _releasable(record: DocumentRecord, right: PickupRight | None, at: datetime.datetime) -> bool:
    """A container the carrier may release now: no live right; its own expired unused right
    may be renewed; one picked up under this eBL is done (a later voyage's eBL releases it)."""
    if right is None:
        return True
    if right.live(at):
        return False
    own = (right.ebl, right.released_by) == (record.id, record.carrier)
    return not own or right.picked_up_at is None


def document_offers(
    record: DocumentRecord,
    actor: Actor,
    rights: Mapping[str, PickupRight | None],
    at: datetime.datetime,
) -> tuple[Offer, ...]:
    """The eBL-level operations ``actor`` may take on ``record`` at ``at``; ``rights`` maps
    each of the eBL's containers to its latest pickup right (None: never released)."""
    if record.kind is not DocumentKind.EBL:
        return ()
    offers: list[Offer] = []
    if record.state is DocState.ISSUED and record.holder == actor.id:
        offers.append(Offer(Op.TRANSFER))
        if record.to_order:
            offers.append(Offer(Op.ENDORSE))
        offers.append(Offer(Op.SURRENDER))
    if record.state in PENDING and actor.id == record.carrier:
        offers += [Offer(Op.ACCEPT), Offer(Op.REJECT)]
    if (
        record.state is DocState.SURRENDERED_FOR_DELIVERY
        and actor.id == record.carrier
        and any(_releasable(record, rights.get(c), at) for c in record.containers)
    ):
        offers.append(Offer(Op.RELEASE))
    return tuple(offers)


def releasable_containers(
    record: DocumentRecord, rights: Mapping[str, PickupRight | None], at: datetime.datetime
) -> tuple[str, ...]:
    """The eBL's containers a release may name now."""
    return tuple(c for c in record.containers if _releasable(record, rights.get(c), at))


def right_offers(right: PickupRight, actor: Actor, at: datetime.datetime) -> tuple[Offer, ...]:
    """What ``actor`` may do with a container's pickup right at ``at``: delegate it (its
    holder), or let the container out at the gate (a terminal where the right is valid)."""
    if not right.live(at):
        return ()
    offers: list[Offer] = []
    if right.holder == actor.id:
        offers.append(Offer(Op.DELEGATE, right.container))
    if (
        Role.TERMINAL in actor.roles
        and right.terminal in (None, actor.id)
        and right.country in (None, actor.country)
    ):
        offers.append(Offer(Op.PICKUP, right.container))
    return tuple(offers)


__all__ = [
    "CONTROL_CHANGES",
    "Offer",
    "document_offers",
    "releasable_containers",
    "right_offers",
]
