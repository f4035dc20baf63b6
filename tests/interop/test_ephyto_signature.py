import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.signer import XMLSigner

from chaincode.documents.phyto import QuarantineCertificate
from interop.ephyto import (
    SpsXmlError,
    certificate_from_xml,
    certificate_to_xml,
    envelope_from_xml,
    envelope_to_xml,
    sign_xml,
    verify_xml,
)
from interop.ephyto.envelope import envelope_for
from interop.ephyto.safe_xml import parse_checked_lxml
from tests.interop.ephyto_keys import p256, rsa2048, self_signed

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "phyto_cn_kz_apples.json"
XMLSEC1 = shutil.which("xmlsec1")


@pytest.fixture(scope="module")
def cert():
    return QuarantineCertificate.model_validate_json(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def ec_signer():
    return p256()


@pytest.fixture(scope="module")
def signed(cert, ec_signer):
    key, certificate = ec_signer
    return sign_xml(certificate_to_xml(cert), key, [certificate])


def test_signed_certificate_verifies_and_still_imports(cert, ec_signer, signed):
    check = verify_xml(signed, ec_signer[1])
    assert (check.name, check.status) == ("xmldsig", "pass")
    assert b"ecdsa-sha256" in signed
    assert b"xml-exc-c14n" in signed
    assert certificate_from_xml(check.signed_xml).certificate == cert
    assert certificate_from_xml(signed).certificate == cert


def test_rsa_signatures_verify(cert):
    key, certificate = rsa2048()
    signed = sign_xml(certificate_to_xml(cert), key, [certificate])
    assert b"rsa-sha256" in signed
    assert verify_xml(signed, certificate).status == "pass"


def test_a_one_byte_change_fails(ec_signer, signed):
    at = signed.index(b"Almaty Fresh Fruit")
    tampered = signed[:at] + b"B" + signed[at + 1 :]
    assert len(tampered) == len(signed)
    check = verify_xml(tampered, ec_signer[1])
    assert check.status == "fail"
    assert "InvalidDigest" in check.reason
    assert check.signed_xml is None


def test_another_key_fails(signed):
    check = verify_xml(signed, p256()[1])
    assert check.status == "fail"


def test_only_allowlisted_keys_sign(cert):
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SpsXmlError) as caught:
        sign_xml(certificate_to_xml(cert), key, [self_signed(key)])
    assert caught.value.rule == "xmldsig_key"


def test_a_signature_method_outside_the_allowlist_fails(cert):
    key, certificate = p256()
    pem = certificate.public_bytes(Encoding.PEM).decode()
    signed = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA512).sign(
        parse_checked_lxml(certificate_to_xml(cert)), key=key, cert=[pem]
    )
    check = verify_xml(etree.tostring(signed), certificate)
    assert check.status == "fail"
    assert "ECDSA_SHA512 forbidden" in check.reason


def test_the_signed_certificate_travels_in_the_hub_envelope(cert, ec_signer, signed):
    envelope = envelope_for(signed)
    assert (envelope.sender, envelope.recipient, envelope.certificate_type) == ("CN", "KZ", "851")
    assert (envelope.certificate_status, envelope.nppo_certificate_number) == ("70", cert.id)
    received, imported = envelope_from_xml(envelope_to_xml(envelope))
    assert received == envelope
    assert imported.certificate == cert
    assert verify_xml(received.content, ec_signer[1]).status == "pass"


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 not installed (apt-get install xmlsec1)")
def test_xmlsec1_verifies_our_signature_and_rejects_a_changed_byte(ec_signer, signed, tmp_path):
    trusted = tmp_path / "signer.pem"
    trusted.write_bytes(ec_signer[1].public_bytes(Encoding.PEM))
    good = tmp_path / "signed.xml"
    good.write_bytes(signed)
    ok = subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", str(trusted), str(good)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout + ok.stderr
    at = signed.index(b"Almaty Fresh Fruit")
    bad = tmp_path / "tampered.xml"
    bad.write_bytes(signed[:at] + b"B" + signed[at + 1 :])
    refused = subprocess.run(
        [XMLSEC1, "--verify", "--trusted-pem", str(trusted), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "FAIL" in refused.stdout + refused.stderr


def test_envelope_header_must_match_its_certificate(cert, signed):
    xml = envelope_to_xml(envelope_for(signed))
    for old, new, tag in [
        (b"<hub:To>KZ", b"<hub:To>RU", "To"),
        (b"<hub:CertificateStatus>70", b"<hub:CertificateStatus>40", "CertificateStatus"),
    ]:
        with pytest.raises(SpsXmlError) as caught:
            envelope_from_xml(xml.replace(old, new))
        assert (caught.value.rule, caught.value.path) == (
            "envelope_matches_certificate",
            f"/hub:Envelope/hub:{tag}",
        )
    with pytest.raises(SpsXmlError) as caught:
        envelope_from_xml(xml.replace(b"<hub:From>CN", b"<hub:From>CHN"))
    assert (caught.value.rule, caught.value.path) == (
        "hub_envelope_profile",
        "/hub:Envelope/hub:From",
    )
    assert json.loads(EXAMPLE.read_text())["id"] == cert.id
