"""The numbers the TradeLedger contract uses for our enums, derived from the enums
themselves so that they cannot drift: a role is bit i, a kind is byte i and a state is
i + 1 (0 meaning "not on the ledger"), each in declaration order; and the codes of its
``moveControl`` (exclusive control across platforms), which the contract writes out.
"""

from __future__ import annotations

from chaincode.documents.registry import DocumentKind
from chaincode.records import Away, DocState
from chaincode.transactions import Op
from identity.roles import Role

ROLE_BITS: dict[str, int] = {role.value: 1 << i for i, role in enumerate(Role)}
KIND: dict[str, int] = {kind.value: i for i, kind in enumerate(DocumentKind)}
STATE: dict[int, str | None] = {0: None} | {i + 1: s.value for i, s in enumerate(DocState)}


# moveControl's operations, and the bits of a record's ``control`` byte.
CONTROL_OP: dict[Op, int] = {
    Op.EXPORT_EBL: 1,
    Op.RECLAIM_EBL: 2,
    Op.BEGIN_TRANSFER_OUT: 3,
    Op.COMPLETE_TRANSFER_OUT: 4,
    Op.CANCEL_TRANSFER_OUT: 5,
    Op.RECORD_RECEIVED: 6,
}
OP_OF_CONTROL = {v: k for k, v in CONTROL_OP.items()}
AWAY_OF: dict[int, Away | None] = {
    0: None,
    1: Away.EXPORTED,
    2: Away.IN_FLIGHT,
    3: Away.TRANSFERRED_OUT,
}
CARRIER_ELSEWHERE = 4
SURRENDERED_ELSEWHERE = 8
TO_ORDER = 0x80  # RECORD_RECEIVED's state byte: a new record's bill is to order


def roles_mask(*roles: str) -> int:
    """The contract's bit mask of these roles, by name."""
    mask = 0
    for role in roles:
        mask |= ROLE_BITS[role]
    return mask


__all__ = [
    "AWAY_OF",
    "CARRIER_ELSEWHERE",
    "CONTROL_OP",
    "KIND",
    "OP_OF_CONTROL",
    "ROLE_BITS",
    "STATE",
    "SURRENDERED_ELSEWHERE",
    "TO_ORDER",
    "roles_mask",
]
