"""The verification policy, explicit: whose roots are trusted for which roles and
algorithms (the trust store, from the signed trust list and the roots' CRLs), which roles
may issue which document kind, and the key the ledger's checkpoints must be signed with.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from chaincode.authority import ISSUER_ROLES
from chaincode.documents.registry import DocumentKind
from identity import jws
from identity.roles import Role
from identity.trust_store import TrustStore


@dataclass(frozen=True)
class Policy:
    trust: TrustStore
    issuer_roles: Mapping[DocumentKind, frozenset[Role]] = field(
        default_factory=lambda: ISSUER_ROLES
    )
    # The verifier key (C2SP ``name+id+key``) of the ledger's signed checkpoints; None on a
    # ledger that has none.
    checkpoint_key: str | None = None

    @functools.cached_property
    def algorithms(self) -> frozenset[str]:
        """The signature algorithms any country on the trust list uses, that tdx implements.
        Which of them a signer may use is its own country's entry (the chain check)."""
        return self.trust.algorithms & jws.SUPPORTED_ALGORITHMS


__all__ = ["Policy"]
