"""The ledger state of a quarantine certificate as SPS status codes.

The SPS StatusCode (UNCL 1373) of an issued certificate is 70; a certificate revoked,
replaced or amended on the ledger is exported as 40 (withdrawn). A replaced (or amended)
certificate also names its successor in a ReferenceSPSReferencedDocument whose
RelationshipTypeCode is ``ZZZ`` (mutually defined: "replaced by"); a replacement names the
certificate it replaces with ``ACW`` (UNCL 1153: reference to a previous message). Both carry
the certificate number as ID and the ledger digest in Information.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from chaincode.records import DocState
from interop.ephyto.errors import SpsXmlError

ISSUED: Final = "70"
WITHDRAWN: Final = "40"
REPLACES_RELATIONSHIP = "ACW"
REPLACED_BY_RELATIONSHIP = "ZZZ"


@dataclass(frozen=True)
class Replacement:
    """The certificate that took this one's place."""

    id: str
    digest: str


@dataclass(frozen=True)
class SpsStatus:
    code: Literal["70", "40"]
    replaced_by: Replacement | None = None


def status_for_state(state: DocState, replaced_by: Replacement | None = None) -> SpsStatus:
    """The SPS status of a certificate in ledger state ``state``."""
    if state is DocState.ISSUED:
        if replaced_by is not None:
            raise SpsXmlError("status_replacement", "an issued certificate has no replacement")
        return SpsStatus(ISSUED)
    if state is DocState.REVOKED:
        if replaced_by is not None:
            raise SpsXmlError("status_replacement", "a revoked certificate has no replacement")
        return SpsStatus(WITHDRAWN)
    if state in (DocState.REPLACED, DocState.AMENDED):
        if replaced_by is None:
            raise SpsXmlError(
                "status_replacement", f"a {state.value.lower()} certificate names its replacement"
            )
        return SpsStatus(WITHDRAWN, replaced_by)
    raise SpsXmlError("status_state", f"a quarantine certificate is never {state.value}")
