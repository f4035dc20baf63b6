"""The roles an organisation certificate can carry."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    CUSTOMS = "customs"
    QUARANTINE = "quarantine"
    CO_ISSUER = "co_issuer"
    CARRIER = "carrier"
    SHIPPER = "shipper"
    CONSIGNEE = "consignee"
    BANK = "bank"
    RAIL = "rail"
    TERMINAL = "terminal"
    HAULIER = "haulier"
    AUDITOR = "auditor"


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Roles from their names; an unknown name is an error, never silently dropped."""
    unknown = sorted(set(values) - {r.value for r in Role})
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    return frozenset(Role(v) for v in values)
