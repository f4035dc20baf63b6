"""Endorsement policies as Fabric encodes them, and the country <-> MSP id naming."""

from __future__ import annotations

from fabric_protos.common import policies_pb2
from fabric_protos.msp import msp_principal_pb2


def msp_id(country: str) -> str:
    """Each country is one Fabric organisation: ``CN`` -> ``CNMSP``."""
    return f"{country}MSP"


def country_of(msp: str) -> str:
    if not msp.endswith("MSP") or len(msp) != 5:
        raise ValueError(f"{msp} is not a tdx country MSP")
    return msp[:2]


def peer_of(country: str) -> bytes:
    """A serialised SignaturePolicyEnvelope: a signature of a peer of ``country``. As a
    key-level validation parameter this is what makes the issuing country's peer needed."""
    role = msp_principal_pb2.MSPRole(
        msp_identifier=msp_id(country), role=msp_principal_pb2.MSPRole.PEER
    )
    principal = msp_principal_pb2.MSPPrincipal(
        principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
        principal=role.SerializeToString(),
    )
    rule = policies_pb2.SignaturePolicy(
        n_out_of=policies_pb2.SignaturePolicy.NOutOf(
            n=1, rules=[policies_pb2.SignaturePolicy(signed_by=0)]
        )
    )
    envelope = policies_pb2.SignaturePolicyEnvelope(version=0, rule=rule, identities=[principal])
    return bytes(envelope.SerializeToString())


__all__ = ["country_of", "msp_id", "peer_of"]
