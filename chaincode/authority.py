"""Who may issue which document type: the role, and the country the document names.

These are the members' agreed rules; the verifier and (later) the ledger only apply them.
"""

from __future__ import annotations

from collections.abc import Mapping

from chaincode.documents.registry import DocumentKind
from identity.roles import Role

ISSUER_ROLES: Mapping[DocumentKind, frozenset[Role]] = {
    DocumentKind.CO: frozenset({Role.CO_ISSUER}),
    DocumentKind.EBL: frozenset({Role.CARRIER}),
    DocumentKind.PHYTO: frozenset({Role.QUARANTINE}),
    DocumentKind.RAIL: frozenset({Role.RAIL}),
}


def issue_refusal(
    kind: DocumentKind,
    roles: frozenset[Role],
    country: str,
    issuing_country: str | None,
    issuer_roles: Mapping[DocumentKind, frozenset[Role]] = ISSUER_ROLES,
) -> str | None:
    """Why an organisation may not issue this document, or None if it may."""
    allowed = issuer_roles[kind]
    if not roles & allowed:
        needed = " or ".join(sorted(r.value for r in allowed))
        held = ", ".join(sorted(r.value for r in roles)) or "none"
        return f"role {needed} required to issue {kind.value} (signer holds: {held})"
    if issuing_country is not None and country != issuing_country:
        return (
            f"a {kind.value} issued in {issuing_country} must be issued by an organisation "
            f"of {issuing_country}, not {country}"
        )
    return None
