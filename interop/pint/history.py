"""A tdx ledger's history of an eBL as PINT transactions, for the first chain entry.

PINT's chain records every change of possessor since issuance, so a platform sending an eBL
it issued writes its local history into its entry: ``ISSUE`` (carrier to first holder),
then each local ``TRANSFER``, and each ``ENDORSE`` as DCSA's ``ENDORSE_TO_ORDER`` followed
by ``TRANSFER`` (tdx's endorsement passes title and possession together, and the endorsee
may endorse again). Any other operation (a surrender, a release) means the eBL is not
transferable, and is refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from interop.pint.envelope import transaction
from interop.pint.models import ActionCode, Party, Transaction
from ledger.interface import HistoryEntry


class HistoryError(ValueError):
    """A history that PINT cannot carry (or that shows the eBL is not transferable)."""


def _at(entry: HistoryEntry) -> datetime.datetime:
    at = datetime.datetime.fromisoformat(entry.time.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=datetime.UTC)


def transactions_from_history(
    history: Sequence[HistoryEntry], party: Callable[[str], Party]
) -> list[Transaction]:
    """``party`` names a local organisation as PINT does (``StaticDirectory``)."""
    out: list[Transaction] = []
    for entry in history:
        to = entry.details.get("to")
        if entry.op == "ISSUE" and not out:
            if not isinstance(to, str):
                raise HistoryError("the ISSUE names no first holder")
            out.append(transaction(ActionCode.ISSUE, party(entry.actor), _at(entry), party(to)))
        elif entry.op in ("TRANSFER", "ENDORSE") and out and isinstance(to, str):
            actor, recipient, at = party(entry.actor), party(to), _at(entry)
            if entry.op == "ENDORSE":
                out.append(transaction(ActionCode.ENDORSE_TO_ORDER, actor, at, recipient))
            out.append(transaction(ActionCode.TRANSFER, actor, at, recipient))
        else:
            raise HistoryError(f"entry {entry.index}: {entry.op} cannot be carried by PINT here")
    if not out:
        raise HistoryError("the history has no ISSUE")
    return out
