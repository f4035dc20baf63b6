"""The compact JWS checks tdx makes itself (RFC 7515 5.2): each malformed or altered token
is refused, and the header decoded once per signer never stands in for a signature."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from identity import jws
from identity.jws import JwsError
from identity.keys import KeyType
from tests.pki import make_root, make_signer

TYP = "test+jws"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def signer():
    return make_signer(make_root())


def _verify(token: str) -> jws.VerifiedJws:
    return jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


def test_the_cached_header_never_stands_in_for_the_signature(signer):
    one = jws.sign(b"one", signer.key, signer.chain, TYP)
    two = jws.sign(b"two", signer.key, signer.chain, TYP)
    assert one.split(".")[0] == two.split(".")[0]  # one header: decoded once, kept
    assert _verify(one).payload == b"one"
    head, _, sig = one.split(".")
    with pytest.raises(JwsError, match="does not verify"):
        _verify(f"{head}.{two.split('.')[1]}.{sig}")
    assert _verify(two).payload == b"two"


def test_a_header_that_repeats_a_member_is_refused(signer):
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    header = _unb64url(token.split(".")[0]).decode()
    doubled = header[:-1] + ',"alg":"ES256"}'
    with pytest.raises(JwsError, match="repeats a member"):
        _verify(_b64url(doubled.encode()) + "." + token.split(".", 1)[1])


def test_an_oversized_header_is_refused_before_decoding(signer):
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    big = "A" * (jws.MAX_HEADER_LENGTH + 4)
    with pytest.raises(JwsError, match="header is over"):
        _verify(big + "." + token.split(".", 1)[1])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s + "==", id="padded"),
        pytest.param(lambda s: s.replace("-", "+").replace("_", "/") + "+/", id="base64-not-url"),
        pytest.param(lambda s: s + " ", id="space"),
    ],
)
def test_segments_must_be_strict_base64url(signer, change):
    head, payload, sig = jws.sign(b"p", signer.key, signer.chain, TYP).split(".")
    for token in (f"{head}.{change(payload)}.{sig}", f"{head}.{payload}.{change(sig)}"):
        with pytest.raises(JwsError):
            _verify(token)


def test_es256_signatures_are_r_and_s_of_32_octets_each(signer):
    head, payload, sig = jws.sign(b"p", signer.key, signer.chain, TYP).split(".")
    raw = _unb64url(sig)
    assert len(raw) == 64
    for wrong in (raw[:63], raw + b"\0", b"\0" + raw[:63]):
        with pytest.raises(JwsError, match="does not verify"):
            _verify(f"{head}.{payload}.{_b64url(wrong)}")
    # A valid DER signature over the same input is not the JWS form: refused.
    der = signer.key.sign(f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(JwsError, match="does not verify"):
        _verify(f"{head}.{payload}.{_b64url(der)}")
    # R and S swapped: the same octets in the wrong places.
    swapped = raw[32:] + raw[:32]
    with pytest.raises(JwsError, match="does not verify"):
        _verify(f"{head}.{payload}.{_b64url(swapped)}")


def test_an_eddsa_signature_is_checked_too():
    signer = make_signer(make_root(), key_type=KeyType.ED25519)
    head, _, sig = jws.sign(b"p", signer.key, signer.chain, TYP).split(".")
    other = _b64url(b"q")
    with pytest.raises(JwsError, match="does not verify"):
        _verify(f"{head}.{other}.{sig}")


def test_a_pinned_key_verifies_and_an_altered_payload_does_not(signer):
    token = jws.sign_with_key(b"pinned", signer.key, TYP)
    assert jws.verify_with_key(token, signer.key.public_key(), TYP) == b"pinned"
    head, _, sig = token.split(".")
    with pytest.raises(JwsError, match="does not verify"):
        jws.verify_with_key(f"{head}.{_b64url(b'other')}.{sig}", signer.key.public_key(), TYP)


def test_a_header_that_is_not_a_json_object_is_refused(signer):
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    for header in (b"[]", b'"x"', b"{", json.dumps({"alg": "ES256"}).encode() + b"x"):
        with pytest.raises(JwsError):
            _verify(_b64url(header) + "." + token.split(".", 1)[1])
