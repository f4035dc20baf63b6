"""Proposals as Fabric builds them: txid = SHA-256(nonce || creator), low-S ECDSA over the
proposal bytes, the creator as a serialised identity (no Fabric needed)."""

from __future__ import annotations

import datetime
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from ledger.fabric.gateway import P256_ORDER, Signer, low_s, proposal, transaction_id


def _signer() -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cn-gacc")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return Signer("CNMSP", cert.public_bytes(serialization.Encoding.PEM), key)


def test_the_txid_is_sha256_of_nonce_and_creator_and_the_proposal_is_signed_low_s():
    signer = _signer()
    prop = proposal(signer, "cn-sg", "tdx", [b"submit", b"{}"], {"content": b"secret"})
    body = proposal_pb2.Proposal.FromString(prop.signed.proposal_bytes)
    header = common_pb2.Header.FromString(body.header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    assert len(signature_header.nonce) == 24
    assert (
        prop.tx_id == hashlib.sha256(signature_header.nonce + signature_header.creator).hexdigest()
    )
    assert (
        prop.tx_id
        == channel_header.tx_id
        == transaction_id(signature_header.nonce, signature_header.creator)
    )
    assert (channel_header.channel_id, channel_header.type) == (
        "cn-sg",
        common_pb2.ENDORSER_TRANSACTION,
    )
    creator = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
    assert (creator.mspid, creator.id_bytes) == ("CNMSP", signer.certificate)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(body.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input)
    assert list(spec.chaincode_spec.input.args) == [b"submit", b"{}"]
    assert dict(payload.TransientMap) == {"content": b"secret"}
    _, s = decode_dss_signature(prop.signed.signature)
    assert s <= P256_ORDER // 2
    signer.key.public_key().verify(
        prop.signed.signature, prop.signed.proposal_bytes, ec.ECDSA(hashes.SHA256())
    )


def test_a_high_s_signature_is_turned_into_its_low_s_twin():
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"block"
    for _ in range(20):
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        high = encode_dss_signature(r, max(s, P256_ORDER - s))
        fixed = low_s(high)
        assert decode_dss_signature(fixed) == (r, min(s, P256_ORDER - s))
        key.public_key().verify(fixed, message, ec.ECDSA(hashes.SHA256()))
