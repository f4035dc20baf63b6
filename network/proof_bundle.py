"""A standalone proof bundle: the ledger's proof of a document's history, with what an
auditor needs to check it with nothing else (``ledger.tlog.proofs``): the checkpoint's
verifier key, the signed trust list, the operator key that signed it, and the revocation
lists of the countries whose organisations signed an entry. All of it is public."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509

from identity.certificates import country_of
from ledger.tlog.proof_trust import material_of
from network.home import Home, HomeError


def standalone(proof: dict[str, Any], home: Home) -> dict[str, Any]:
    """``proof`` with the checkpoint key and the trust material of ``home``."""
    certificates = proof.get("certificates", {})
    countries = {
        country_of(x509.load_der_x509_certificate(base64.b64decode(der)))
        for der in certificates.values()
    }
    crls = home.revocation_lists()
    missing = countries - crls.keys()
    if missing:
        raise HomeError(f"no revocation list for {', '.join(sorted(missing))} in {home.path}")
    try:
        token = (home.path / "trust-list.jws").read_text()
    except FileNotFoundError:
        raise HomeError(f"no trust list in {home.path}") from None
    trust = material_of(
        token, home.setting("operatorPublicKey"), {c: crls[c] for c in sorted(countries)}
    )
    return proof | {"checkpointKey": home.setting("checkpointKey"), "trust": trust}


__all__ = ["standalone"]
