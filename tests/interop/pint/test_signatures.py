"""PINT's JWS: the algorithms DCSA allows and no other, a kid in every header, RFC 7638 key
ids, and the payload signed in its RFC 8785 form."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from chaincode.canonical import canonical_bytes
from interop.pint.signatures import (
    KeyNotAllowedError,
    KeyRing,
    PlatformSigner,
    SignatureError,
    header_of,
    key_id,
    verify,
)


def _int(b64url: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4)), "big")


def test_key_id_is_the_rfc_7638_thumbprint():
    # RFC 7638 section 3.1: this RSA key's SHA-256 thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    key = rsa.RSAPublicNumbers(_int("AQAB"), _int(n)).public_key()
    assert key_id(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256"])
def test_every_allowed_algorithm_round_trips_with_a_kid(alg, rsa_key):
    key = ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else rsa_key
    signer = PlatformSigner("SGTD", key, alg)
    token = signer.sign({"b": [1, 2.5], "a": "é"})
    assert header_of(token) == {"alg": alg, "kid": signer.kid}
    payload = token.split(".")[1]
    signed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert signed == canonical_bytes({"a": "é", "b": [1, 2.5]})  # RFC 8785 bytes
    found = verify(token, KeyRing.of({"SGTD": [key.public_key()]}))
    assert (found.platform, found.algorithm, found.payload) == (
        "SGTD",
        alg,
        {"a": "é", "b": [1, 2.5]},
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: ed25519.Ed25519PrivateKey.generate(),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
    ],
    ids=["Ed25519", "P-384", "RSA-1024"],
)
def test_keys_outside_dcsas_algorithms_cannot_sign(make):
    with pytest.raises(KeyNotAllowedError):
        PlatformSigner.of("SGTD", make())


def test_an_algorithm_must_fit_its_key(rsa_key):
    with pytest.raises(KeyNotAllowedError):
        PlatformSigner("SGTD", ec.generate_private_key(ec.SECP256R1()), "PS256")
    with pytest.raises(KeyNotAllowedError):
        PlatformSigner("SGTD", rsa_key, "ES256")


def test_a_key_speaks_for_one_platform_only():
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    ring = KeyRing.of({"SGTD": [key]})
    with pytest.raises(ValueError, match="listed for SGTD and AEOT"):
        ring.add("AEOT", key)


def test_a_payload_with_a_duplicate_key_is_refused():
    key = ec.generate_private_key(ec.SECP256R1())
    signer = PlatformSigner.of("SGTD", key)
    ring = KeyRing.of({"SGTD": [key.public_key()]})
    from interop.pint.signatures import sign_bytes

    token = sign_bytes(b'{"a":1,"a":2}', key, "ES256", signer.kid)
    with pytest.raises(ValueError, match="duplicate key"):
        verify(token, ring)
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "ES256", "kid": signer.kid, "kid ": 1}).encode()
    )
    with pytest.raises(SignatureError):
        verify(header.decode().rstrip("=") + ".e30.AAAA", ring)
