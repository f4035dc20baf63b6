"""The certificate lint passes on the MSPs we issue and names the rule each bad one breaks
(no Fabric needed)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from identity.checks import Status
from identity.revocation import build_crl
from network.fabric import cert_lint, msp

NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture
def crypto(demo_home, tmp_path):
    return msp.generate(demo_home, ["CN", "SG"], tmp_path / "crypto", NOW)


def failures(checks):
    return {c.name: c.reason for c in checks if c.status is not Status.PASS}


def test_every_msp_and_tls_certificate_we_issue_passes(crypto, demo_home):
    checks = cert_lint.lint(crypto, NOW, demo_home.passphrase())
    assert len(checks) > 100
    assert failures(checks) == {}


def test_an_encrypted_client_key_is_not_readable_without_the_passphrase(crypto):
    bad = failures(cert_lint.lint(crypto, NOW))
    assert bad["CN client cn-gacc: keystore"] == "no private key for the certificate"


def _root(demo_home):
    from identity import keys

    return demo_home.root("CN"), keys.load(
        demo_home.path / "roots" / "CN.key", demo_home.passphrase()
    )


def test_a_tls_certificate_without_the_sans_or_ekus_fails(crypto, demo_home, tmp_path):
    root, root_key = _root(demo_home)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer0.cn.tdx")])
    plain = msp.issue(root, root_key, subject, key.public_key(), NOW, tls=False)
    path = tmp_path / "tls.pem"
    path.write_bytes(plain.public_bytes(serialization.Encoding.PEM))
    bad = failures(cert_lint.check_tls("CN peer", path, root, NOW))
    assert bad == {
        "CN peer TLS: SAN": "missing localhost, 127.0.0.1",
        "CN peer TLS: EKU": "needs both serverAuth and clientAuth",
    }


def test_an_identity_with_two_node_ous_or_a_foreign_issuer_fails(crypto, demo_home, tmp_path):
    root, root_key = _root(demo_home)
    peer = crypto["CN"].node("peer")
    two = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "peer"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "admin"),
            x509.NameAttribute(NameOID.COMMON_NAME, "peer0.cn.tdx"),
        ]
    )
    key = serialization.load_pem_private_key(peer.key.read_bytes(), None)
    cert = msp.issue(root, root_key, two, key.public_key(), NOW, tls=False)
    peer.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    bad = failures(cert_lint.check_identity("CN peer", peer, root, NOW))
    needs = "needs exactly one of client, peer, admin, orderer"
    assert bad == {"CN peer: NodeOU": f"{needs}, has ['peer', 'admin']"}
    sg_root = demo_home.root("SG")
    bad = failures(cert_lint.check_identity("CN peer", peer, sg_root, NOW))
    assert bad["CN peer: issuer"].startswith("not issued by the country root")


def test_a_crl_without_an_authority_key_identifier_fails(crypto, demo_home, tmp_path):
    root, root_key = _root(demo_home)
    ours = crypto["CN"].msp / "crls" / "crl.pem"
    assert failures(cert_lint.check_crl("CN CRL", ours, root)) == {}
    plain = build_crl(root, root_key, [], 2, NOW)  # identity's CRL: no AKI
    path = tmp_path / "plain.crl"
    path.write_bytes(plain.public_bytes(serialization.Encoding.PEM))
    bad = failures(cert_lint.check_crl("CN CRL", path, root))
    assert bad == {"CN CRL: AKI": "Fabric's MSP rejects every identity on such a CRL"}
