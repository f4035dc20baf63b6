"""Node certificates: the identity a country's node signs node-to-node requests and answers
with, issued by that country's root.

The profile: subject C (the country), O (the root's organisation), OU ``node`` (the node
role, as organisation certificates carry theirs) and CN ``tdx node <CC>``; not a CA;
digital signatures only; extended key usage tdx's node-signing OID. The key is Ed25519
(RFC 9421's ``ed25519``). ``judge_node`` asks what a receiving node must know: does the
certificate chain to a country root on the trust list, under this profile, valid now and
not revoked? Its answer names the first thing that fails.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from identity.certificates import TDX_ARC, country_of, signature_hash
from identity.chain import MALFORMED, check_revocation
from identity.keys import PrivateKey
from identity.trust_list import CountryEntry, TrustList

NODE_SIGNING = ObjectIdentifier(f"{TDX_ARC}.2")
NODE_ROLE = "node"


@dataclass(frozen=True)
class NodeJudgement:
    ok: bool
    reason: str
    country: str | None = None
    entry: CountryEntry | None = None


def node_name(country: str) -> str:
    return f"tdx node {country}"


def issue_node_certificate(
    root: x509.Certificate,
    root_key: PrivateKey,
    public_key: ed25519.Ed25519PublicKey,
    now: datetime.datetime,
    days: int = 730,
) -> x509.Certificate:
    """Certify the node's Ed25519 key under its country's root."""
    country = country_of(root)
    organisation = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(organisation)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NODE_ROLE),
            x509.NameAttribute(NameOID.COMMON_NAME, node_name(country)),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([NODE_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
        .sign(root_key, signature_hash(root_key))
    )


def _extension(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _profile_fault(cert: x509.Certificate, entry: CountryEntry) -> str | None:
    """Why the certificate is not a node certificate of ``entry``'s root (or None)."""
    try:
        cert.verify_directly_issued_by(entry.root)
    except (*MALFORMED, InvalidSignature):
        return f"the node certificate is not signed by the {entry.country} root"
    basic = _extension(cert, x509.BasicConstraints)
    if not isinstance(basic, x509.BasicConstraints) or basic.ca:
        return "the node certificate must not be a CA"
    usage = _extension(cert, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage) or not usage.digital_signature:
        return "the node certificate's key usage does not allow digital signatures"
    extended = _extension(cert, x509.ExtendedKeyUsage)
    if not isinstance(extended, x509.ExtendedKeyUsage) or NODE_SIGNING not in extended:
        return "the certificate is not for node signing (extended key usage)"
    roles = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if roles != [NODE_ROLE]:
        return f"the certificate's role is {roles!r}, not the node role"
    if country_of(cert) != entry.country:
        return f"the node certificate names {country_of(cert)} under the {entry.country} root"
    if not isinstance(cert.public_key(), ed25519.Ed25519PublicKey):
        return "a node key must be Ed25519"
    return None


def anchor_node(cert: x509.Certificate, trust_list: TrustList) -> CountryEntry | str:
    """The time-independent half of ``judge_node``: the trust-list entry whose root issued
    ``cert`` under the node profile, or why it never can be a node certificate. A pure
    function of the certificate and the trust list, so a node may remember it for as long
    as its trust list is the same."""
    try:
        entry = trust_list.entry_for_issuer(cert)
        if entry is None:
            return "the node certificate's issuer is not a root on the trust list"
        fault = _profile_fault(cert, entry)
    except MALFORMED as exc:
        return f"the node certificate is malformed ({exc})"
    return entry if fault is None else fault


def validity_fault(
    cert: x509.Certificate, entry: CountryEntry, now: datetime.datetime
) -> str | None:
    """Why the node certificate or its root is not valid at ``now`` (or None)."""
    for what, c in (("the root certificate", entry.root), ("the node certificate", cert)):
        if not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
            return f"{what} is not valid at {now.isoformat()}"
    return None


def trusted_node(entry: CountryEntry) -> NodeJudgement:
    return NodeJudgement(
        True,
        f"the {entry.country} node, certified by the {entry.country} root",
        entry.country,
        entry,
    )


def judge_node(
    cert: x509.Certificate,
    trust_list: TrustList,
    revocation_lists: Mapping[str, x509.CertificateRevocationList],
    now: datetime.datetime,
) -> NodeJudgement:
    """Is ``cert`` a node certificate of a country root on the trust list, valid at ``now``
    and not revoked at ``now``?"""
    entry = anchor_node(cert, trust_list)
    if isinstance(entry, str):
        return NodeJudgement(False, entry)
    fault = validity_fault(cert, entry, now)
    if fault is not None:
        return NodeJudgement(False, fault)
    revoked = check_revocation(cert, entry, revocation_lists, now, now, "the request")
    if not revoked.ok:
        return NodeJudgement(False, revoked.reason)
    return trusted_node(entry)


__all__ = [
    "NODE_ROLE",
    "NODE_SIGNING",
    "NodeJudgement",
    "anchor_node",
    "issue_node_certificate",
    "judge_node",
    "node_name",
    "trusted_node",
    "validity_fault",
]
