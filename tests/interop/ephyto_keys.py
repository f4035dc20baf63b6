"""Throwaway signing keys and self-signed certificates for the XMLDSig tests."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def self_signed(key, name="CN NPPO test"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def p256():
    key = ec.generate_private_key(ec.SECP256R1())
    return key, self_signed(key)


def rsa2048():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, self_signed(key, "RSA NPPO test")
