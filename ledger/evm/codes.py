"""The numbers the TradeLedger contract uses for our enums, derived from the enums
themselves so that they cannot drift: a role is bit i, a kind is byte i and a state is
i + 1 (0 meaning "not on the ledger"), each in declaration order.
"""

from __future__ import annotations

from chaincode.documents.registry import DocumentKind
from chaincode.records import DocState
from identity.roles import Role

ROLE_BITS: dict[str, int] = {role.value: 1 << i for i, role in enumerate(Role)}
KIND: dict[str, int] = {kind.value: i for i, kind in enumerate(DocumentKind)}
STATE: dict[int, str | None] = {0: None} | {i + 1: s.value for i, s in enumerate(DocState)}


def roles_mask(*roles: str) -> int:
    """The contract's bit mask of these roles, by name."""
    mask = 0
    for role in roles:
        mask |= ROLE_BITS[role]
    return mask


__all__ = ["KIND", "ROLE_BITS", "STATE", "roles_mask"]
