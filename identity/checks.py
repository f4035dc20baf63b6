"""The structured result of every verification in tdx: named checks, each with a status and
a reason, and typed facts.

A result is valid only if every check passed. A check that could not run because of an
earlier failure is ``not_checked``, which is not a pass: verification fails closed. One
vocabulary (``CheckName``) and one immutable result type (``Report``) serve the signed-document
pipeline (``network.verification``), offline proof bundles (``ledger.tlog.proofs``) and the
whole-log audit (``ledger.embedded.log_audit``), so that no caller parses text back. It sits at
the bottom of the layer table so that every layer can report in it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Generic, Protocol

from typing_extensions import TypeVar


class Status(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a status, not a password)
    FAIL = "fail"
    NOT_CHECKED = "not_checked"


class CheckName(enum.StrEnum):
    # A presented signed document, in the order the pipeline runs them.
    FORMAT = "format"
    SIGNATURE = "signature"
    INTEGRITY = "integrity"
    DOCUMENT = "document"
    CHAIN = "chain"
    ROLE_FOR_TYPE = "role-for-type"
    REVOCATION = "revocation"
    ANCHORED = "anchored"
    STATUS = "status"
    INCLUSION = "inclusion"
    # An offline proof bundle and a whole-log audit.
    CHECKPOINT = "checkpoint"
    TRUST_LIST = "trust-list"
    ENTRY = "entry"
    BATCH = "batch"
    # An OpenAttestation v2 document in the pipeline: OA's own checks, in its fragment names.
    OA_HASH = "OpenAttestationHash"
    OA_DOCUMENT_STORE = "OpenAttestationEthereumDocumentStoreStatus"
    OA_TOKEN_REGISTRY = "OpenAttestationEthereumTokenRegistryStatus"  # noqa: S105 (a name)
    OA_DNS_TXT = "OpenAttestationDnsTxtIdentityProof"
    # A DCSA PINT envelope in the pipeline: its signatures, checksums and chain (BSIG, BENV).
    PINT_ENVELOPE = "pint-envelope"
    # A document of another country's, asked about at its issuing country's node.
    ISSUER_NODE = "issuer-node"


class Verdict(enum.StrEnum):
    """A report's three-valued outcome: every check passed; one failed; or none failed but
    some could not be checked (a document no one could vouch for is never valid)."""

    VALID = "VALID"
    INVALID = "INVALID"
    UNKNOWN = "UNKNOWN"


# A check's name: a ``CheckName`` in every verification of tdx's own (the pipeline, proofs,
# the log audit); other checkers (PINT's receiver, the Fabric certificate lint) name theirs.
N = TypeVar("N", bound=str, default=str)


@dataclass(frozen=True, slots=True)
class Check(Generic[N]):
    name: N
    status: Status
    reason: str

    @classmethod
    def passed(cls, name: N, reason: str) -> Check[N]:
        return cls(name, Status.PASS, reason)

    @classmethod
    def failed(cls, name: N, reason: str) -> Check[N]:
        return cls(name, Status.FAIL, reason)

    @classmethod
    def not_checked(cls, name: N, reason: str) -> Check[N]:
        return cls(name, Status.NOT_CHECKED, reason)

    def to_json(self) -> dict[str, str]:
        return {"name": str(self.name), "status": self.status.value, "reason": self.reason}


class Facts(Protocol):
    """What a verification established besides its checks, as JSON for the faces."""

    def to_json(self) -> dict[str, Any]: ...


F = TypeVar("F", bound=Facts, covariant=True)


@dataclass(frozen=True, slots=True)
class NoFacts:
    def to_json(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class Report(Generic[F]):
    """Checks in the order they ran, and the facts they established."""

    checks: tuple[Check[CheckName], ...]
    facts: F
    # Checks that cannot apply to this presentation (the signature of a document whose
    # fields were hidden by selective disclosure): ``not_checked`` there is no doubt, and the
    # verdict rests on the other checks, at least one of which must pass. A waived check
    # that fails still fails.
    waived: frozenset[CheckName] = frozenset()

    @property
    def valid(self) -> bool:
        return any(c.status is Status.PASS for c in self.checks) and all(
            c.status is Status.PASS or (c.status is Status.NOT_CHECKED and c.name in self.waived)
            for c in self.checks
        )

    @property
    def verdict(self) -> Verdict:
        if any(c.status is Status.FAIL for c in self.checks) or not self.checks:
            return Verdict.INVALID
        return Verdict.VALID if self.valid else Verdict.UNKNOWN

    def failures(self) -> tuple[Check[CheckName], ...]:
        """The checks that did not pass (failed, or could not run)."""
        return tuple(c for c in self.checks if c.status is not Status.PASS)

    def failed_names(self) -> list[str]:
        return [c.name.value for c in self.checks if c.status is Status.FAIL]

    def check(self, name: CheckName) -> Check[CheckName] | None:
        return next((c for c in self.checks if c.name is name), None)

    def to_json(self) -> dict[str, Any]:
        facts = self.facts.to_json()
        return {
            "valid": self.valid,
            "verdict": self.verdict.value,
            "checks": [c.to_json() for c in self.checks],
            **({"facts": facts} if facts else {}),
            **({"waived": sorted(str(n) for n in self.waived)} if self.waived else {}),
        }


__all__ = ["Check", "CheckName", "F", "Facts", "N", "NoFacts", "Report", "Status", "Verdict"]
