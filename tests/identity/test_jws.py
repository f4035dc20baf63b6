import base64
import json

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jws as jose_jws
from joserfc.jwk import OctKey

from identity import jws
from identity.jws import JwsError
from identity.keys import KeyType
from tests.pki import make_root, make_signer

TYP = "test+jws"


def _b64url(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def _x5c(chain) -> list[str]:
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in chain]


@pytest.mark.parametrize(("key_type", "alg"), [(KeyType.P256, "ES256"), (KeyType.ED25519, "EdDSA")])
def test_sign_and_verify_with_x5c(key_type, alg):
    signer = make_signer(make_root(), key_type=key_type)
    token = jws.sign(b"payload", signer.key, signer.chain, TYP)
    verified = jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)
    assert verified.payload == b"payload"
    assert verified.header["alg"] == alg
    assert verified.chain == signer.chain


def test_an_ed25519_token_is_byte_for_byte_joserfc_s():
    """EdDSA tokens are built without joserfc (a node signs every peer answer): the same
    bytes, which joserfc verifies."""
    signer = make_signer(make_root(), key_type=KeyType.ED25519)
    token = jws.sign(b'{"a":1}', signer.key, signer.chain, TYP)
    header = {"alg": "EdDSA", "typ": TYP, "x5c": _x5c(signer.chain)}
    expected = jws._call_joserfc(
        jose_jws.serialize_compact,
        "EdDSA",
        header,
        b'{"a":1}',
        jws._jose_key(signer.key),
        registry=jws._registry("EdDSA"),
    )
    assert token == expected


@pytest.mark.parametrize("extra", [None, {"kid": "k1"}])
def test_an_es256_token_is_joserfc_s_but_for_the_random_signature(extra):
    """ES256 tokens are built without joserfc too (a node signs every document it issues):
    header (kept per signer, or with extra fields) and payload byte for byte joserfc's, and
    a signature (ECDSA is randomised) of R || S that joserfc and this module both verify."""
    signer = make_signer(make_root(), key_type=KeyType.P256)
    for _ in range(2):  # the second time, the signer's header as kept
        token = jws.sign(b'{"a":1}', signer.key, signer.chain, TYP, extra)
    header = {"alg": "ES256", "typ": TYP, "x5c": _x5c(signer.chain), **(extra or {})}
    expected = jose_jws.serialize_compact(
        header, b'{"a":1}', jws._jose_key(signer.key), registry=jws._registry("ES256")
    )
    assert token.split(".")[:2] == expected.split(".")[:2]
    signature = token.split(".")[2]
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 64  # R || S
    public = jws._jose_key(signer.key.public_key())
    assert jose_jws.deserialize_compact(token, public, registry=jws._registry("ES256"))
    assert jws.verify(token, {"ES256"}, TYP).payload == b'{"a":1}'


def test_changed_payload_fails():
    signer = make_signer(make_root())
    head, _, sig = jws.sign(b"payload", signer.key, signer.chain, TYP).split(".")
    forged = ".".join([head, base64.urlsafe_b64encode(b"other").rstrip(b"=").decode(), sig])
    with pytest.raises(JwsError, match="signature does not verify"):
        jws.verify(forged, jws.SUPPORTED_ALGORITHMS, TYP)


def test_alg_none_is_refused():
    signer = make_signer(make_root())
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    header = _header(token)
    header["alg"] = "none"
    unsigned = f"{_b64url(header)}.{token.split('.')[1]}."
    with pytest.raises(JwsError, match="'none' is not allowed"):
        jws.verify(unsigned, jws.SUPPORTED_ALGORITHMS, TYP)


def test_hmac_is_refused_even_with_a_valid_mac():
    signer = make_signer(make_root())
    token = jose_jws.serialize_compact(
        {"alg": "HS256", "typ": TYP, "x5c": _x5c(signer.chain)}, b"p", OctKey.import_key(b"k" * 32)
    )
    with pytest.raises(JwsError, match="'HS256' is not allowed"):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


def test_caller_allowlist_narrows_algorithms():
    signer = make_signer(make_root(), key_type=KeyType.ED25519)
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    with pytest.raises(JwsError, match="not allowed"):
        jws.verify(token, {"ES256"}, TYP)


def test_header_alg_must_match_the_certificate_key():
    ed = make_signer(make_root(), key_type=KeyType.ED25519)
    ec = make_signer(make_root(), key_type=KeyType.P256)
    token = jws.sign(b"p", ec.key, ec.chain, TYP)
    # Swap in the Ed25519 signer's chain: the header still says ES256.
    header = _header(token)
    header["x5c"] = _x5c(ed.chain)
    swapped = ".".join([_b64url(header), *token.split(".")[1:]])
    with pytest.raises(JwsError, match="does not match"):
        jws.verify(swapped, jws.SUPPORTED_ALGORITHMS, TYP)


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "crit"])
def test_key_fetching_and_crit_headers_are_refused(name):
    signer = make_signer(make_root())
    header = {"alg": "ES256", "typ": TYP, "x5c": _x5c(signer.chain), name: ["x"]}
    token = f"{_b64url(header)}.cA.c2ln"
    with pytest.raises(JwsError, match=f"header '{name}' is refused"):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


def test_wrong_typ_is_refused():
    signer = make_signer(make_root())
    token = jws.sign(b"p", signer.key, signer.chain, "other+jws")
    with pytest.raises(JwsError, match="typ"):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


@pytest.mark.parametrize("token", ["", "a.b", "!!!.e30.", "e30.e30.e30"])
def test_malformed_tokens_are_errors_not_crashes(token):
    with pytest.raises(JwsError):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


@pytest.mark.parametrize("key_type", [KeyType.ED25519, KeyType.P256])
def test_a_chain_signer_makes_sign_s_tokens(key_type):
    """The header a ChainSigner encodes once is the one ``sign`` encodes every time: the
    same bytes (Ed25519 is deterministic; P-256 is not, so its tokens verify alike)."""
    signer = make_signer(make_root(), key_type=key_type)
    chained = jws.ChainSigner(signer.key, signer.chain, TYP)
    for payload in (b"", b'{"a":1}', b"x" * 5000):
        token = chained.sign(payload)
        assert token.split(".")[0] == jws.sign(payload, signer.key, signer.chain, TYP).split(".")[0]
        if key_type is KeyType.ED25519:
            assert token == jws.sign(payload, signer.key, signer.chain, TYP)
        assert jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP).payload == payload
