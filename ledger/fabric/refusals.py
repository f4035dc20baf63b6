"""How the Fabric engine reports what is not a success: the chaincode's own refusals
(carried in the gateway's error details), Fabric's refusals of an identity (MSP validation
or channel policy, which the peer reports to a client only as "access denied", so the
engine adds its own diagnosis), Fabric failures that are no rule of ours, and the embedded
engine's features this engine does not have.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from chaincode.lifecycle import Refusal, RefusalKind
from ledger.fabric import policy
from ledger.fabric.contract import REFUSAL_PREFIX
from ledger.fabric.gateway import GatewayError, Signer


class FabricError(RuntimeError):
    """Fabric failed a transaction for a reason that is not a rule of ours (a transport
    failure on every peer, a validation code, an unavailable ordering service)."""


def refusal_of(error: GatewayError) -> Refusal | None:
    """The chaincode's refusal inside a gateway error, if that is what it is."""
    for text in [error.message] + [d[2] for d in error.details]:
        at = text.find(REFUSAL_PREFIX)
        if at < 0:
            continue
        body, _ = json.JSONDecoder().raw_decode(text[at + len(REFUSAL_PREFIX) :])
        return Refusal(RefusalKind(body["kind"]), str(body["rule"]))
    return None


def fabric_refusal(error: GatewayError, channel: str, who: str, why: str = "") -> Refusal:
    """Fabric itself refused (MSP validation, channel policy): a clear FORBIDDEN. The peer
    tells a client only "access denied"; ``why`` is the engine's own diagnosis."""
    reasons = "; ".join(f"{m or a}: {t}" for a, m, t in error.details) or error.message
    return Refusal(
        RefusalKind.FORBIDDEN,
        f"Fabric refused {who}'s proposal on channel {channel}: {reasons}"
        + (f" ({why})" if why else ""),
    )


def diagnose(
    signer: Signer,
    roots: bytes,
    members: Sequence[str],
    now: datetime.datetime,
    error: GatewayError | None = None,
) -> str:
    """Why a channel's MSPs would refuse this identity, as far as the client can tell."""
    said = " ".join([error.message, *(d[2] for d in error.details)]) if error else ""
    if "incorrect timestamp" in said:
        return (
            "the proposal's time is outside the peers' authentication window "
            "(peer.authentication.timewindow) around their clocks"
        )
    country = policy.country_of(signer.msp_id)
    if country not in members:
        return f"{country} is not a member of the channel (members: {', '.join(members)})"
    cert = x509.load_pem_x509_certificate(signer.certificate)
    issuers = [
        root
        for root in x509.load_pem_x509_certificates(roots)
        if root.subject == cert.issuer and _issued_by(cert, root)
    ]
    if not issuers:
        return f"the certificate is not issued by the {country} root in the channel's MSP"
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return "the certificate is outside its validity period"
    return (
        f"the certificate chains to the {country} root, so the channel's {signer.msp_id} "
        "refused it as revoked: its CRL lists it"
    )


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


__all__ = ["FabricError", "diagnose", "fabric_refusal", "refusal_of"]
