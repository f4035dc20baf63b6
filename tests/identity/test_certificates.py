import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from identity.certificates import (
    DOCUMENT_SIGNING,
    LEDGER_SIGNING,
    CertificateProfileError,
    Organisation,
    Purpose,
    issue_organisation_certificate,
    organisation_of,
)
from identity.keys import KeyType, generate
from identity.org_id import OrgIdError
from identity.roles import Role
from tests.pki import NOW, make_root, make_signer


def test_organisation_round_trips_through_its_certificate():
    root = make_root("CN")
    signer = make_signer(root, frozenset({Role.CUSTOMS, Role.QUARANTINE}), org_id="cn-gacc")
    org = organisation_of(signer.cert)
    assert org == signer.org
    ous = [
        a.value
        for a in signer.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ]
    assert ous == ["customs", "quarantine"]  # one OU per role, as Fabric NodeOUs
    oid = signer.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value
    assert oid == "NTRCN-91330100MA2B000018"


def test_purpose_is_the_extended_key_usage():
    root = make_root("SG")
    doc = make_signer(root, purpose=Purpose.DOCUMENT)
    ledger = make_signer(root, purpose=Purpose.LEDGER, key_type=KeyType.SECP256K1)
    eku = x509.ExtendedKeyUsage
    assert list(doc.cert.extensions.get_extension_for_class(eku).value) == [DOCUMENT_SIGNING]
    assert list(ledger.cert.extensions.get_extension_for_class(eku).value) == [LEDGER_SIGNING]
    assert ledger.cert.public_key().curve.name == "secp256k1"


def test_a_root_certifies_only_its_own_country():
    root = make_root("CN")
    org = Organisation("sg-x", "X", "SG", "201912345R", frozenset({Role.BANK}))
    with pytest.raises(CertificateProfileError, match="CN root cannot certify"):
        issue_organisation_certificate(
            root.cert, root.key, org, generate(KeyType.P256).public_key(), Purpose.DOCUMENT, NOW
        )


def test_a_bad_national_id_is_refused_at_issuance():
    root = make_root("RU")
    org = Organisation("ru-x", "X", "RU", "7708503728", frozenset({Role.RAIL}))
    with pytest.raises(OrgIdError):
        issue_organisation_certificate(
            root.cert, root.key, org, generate(KeyType.P256).public_key(), Purpose.DOCUMENT, NOW
        )


def test_unknown_role_in_a_certificate_is_a_profile_error():
    root = make_root("CN")
    key = generate(KeyType.P256)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "X"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRCN-91330100MA2B000018"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "pirate"),
            x509.NameAttribute(NameOID.COMMON_NAME, "cn-x"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW)
        .sign(root.key, hashes.SHA256())
    )
    with pytest.raises(CertificateProfileError, match="unknown role"):
        organisation_of(cert)
