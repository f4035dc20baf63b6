"""Documents signed with SM2SM3 and GOST3410-2012-256: certificates, JWS, trust list."""

import base64
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jws as jose_jws
from joserfc.jwk import OctKey

from identity import jws, tokens
from identity.certificates import CertificateProfileError, Purpose, organisation_of
from identity.chain import validate_chain
from identity.jws import JwsError
from identity.keys import KeyType
from identity.national import registry
from identity.national.encoding import read_spki
from identity.trust_store import TrustStore
from tests.pki import NOW, empty_crl, make_root, make_signer, make_trust_list

TYP = "test+jws"
NATIONAL = [
    pytest.param((KeyType.SM2, "SM2SM3", "CN"), id="SM2SM3"),
    pytest.param((KeyType.GOST_2012_256, "GOST3410-2012-256", "RU"), id="GOST"),
]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def _with_header(token: str, header: dict) -> str:
    return ".".join([_b64url(json.dumps(header).encode()), *token.split(".")[1:]])


def _x5c(chain) -> list[str]:
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in chain]


@pytest.fixture(scope="module", params=NATIONAL)
def national(request):
    key_type, alg, country = request.param
    root = make_root(country)
    signer = make_signer(root, key_type=key_type)
    return alg, signer, jws.sign(b"payload", signer.key, signer.chain, TYP)


# --- certificates -------------------------------------------------------------------


def test_the_certificate_is_standard_x509_under_the_p256_root(national):
    alg, signer, _ = national
    cert = signer.cert
    cert.verify_directly_issued_by(signer.root.cert)  # the chain signature stays P-256
    assert organisation_of(cert) == signer.org
    with pytest.raises(UnsupportedAlgorithm):
        cert.public_key()  # pyca/cryptography cannot use the key, the plugin reads it
    public = registry.public_key_of(cert)
    assert public == signer.key.public_key()
    assert public.algorithm == alg
    # The subject key identifier is RFC 5280's method 1 over the national key.
    key_bits = read_spki(registry.spki_of(cert)).key
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski.digest == hashlib.sha1(key_bits).digest()


@pytest.mark.parametrize(
    ("key_type", "country"), [(KeyType.SM2, "CN"), (KeyType.GOST_2012_256, "RU")]
)
def test_a_national_key_cannot_be_a_ledger_key(key_type, country):
    with pytest.raises(CertificateProfileError, match="can sign documents only"):
        make_signer(make_root(country), key_type=key_type, purpose=Purpose.LEDGER)


# --- JWS --------------------------------------------------------------------------------


def test_sign_and_verify_round_trip(national):
    alg, signer, token = national
    assert _header(token)["alg"] == alg
    verified = jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)
    assert verified.payload == b"payload"
    assert verified.chain == signer.chain
    assert verified.header["alg"] == alg


def test_every_signature_uses_a_fresh_nonce(national):
    _, signer, token = national
    again = jws.sign(b"payload", signer.key, signer.chain, TYP)
    assert again.split(".")[:2] == token.split(".")[:2]
    assert again.split(".")[2] != token.split(".")[2]
    assert jws.verify(again, jws.SUPPORTED_ALGORITHMS, TYP).payload == b"payload"


def test_a_tampered_payload_fails(national):
    _, _, token = national
    head, _, sig = token.split(".")
    forged = ".".join([head, _b64url(b"paylaod"), sig])
    with pytest.raises(JwsError, match="signature does not verify"):
        jws.verify(forged, jws.SUPPORTED_ALGORITHMS, TYP)


def test_a_tampered_header_fails(national):
    _, _, token = national
    header = _header(token)
    header["typ"] = TYP  # same values, other bytes: the signature covers the header octets
    with pytest.raises(JwsError, match="signature does not verify"):
        jws.verify(_with_header(token, header) + "", jws.SUPPORTED_ALGORITHMS, TYP)


def test_the_header_alg_must_match_the_certificate_key(national):
    alg, _, token = national
    for claimed in sorted(jws.SUPPORTED_ALGORITHMS - {alg}):
        header = _header(token)
        header["alg"] = claimed
        with pytest.raises(
            JwsError, match=f"header alg {claimed} does not match the signer's {alg}"
        ):
            jws.verify(_with_header(token, header), jws.SUPPORTED_ALGORITHMS, TYP)


def test_a_p256_certificate_cannot_carry_a_national_alg():
    signer = make_signer(make_root())
    token = jws.sign(b"p", signer.key, signer.chain, TYP)
    header = _header(token)
    header["alg"] = "SM2SM3"
    with pytest.raises(JwsError, match="header alg SM2SM3 does not match the signer's ES256"):
        jws.verify(_with_header(token, header), jws.SUPPORTED_ALGORITHMS, TYP)


def test_none_and_hmac_are_still_refused(national):
    _, signer, token = national
    header = _header(token)
    header["alg"] = "none"
    with pytest.raises(JwsError, match="'none' is not allowed"):
        jws.verify(
            f"{_with_header(token, header).rsplit('.', 1)[0]}.", jws.SUPPORTED_ALGORITHMS, TYP
        )
    mac = jose_jws.serialize_compact(
        {"alg": "HS256", "typ": TYP, "x5c": _x5c(signer.chain)}, b"p", OctKey.import_key(b"k" * 32)
    )
    with pytest.raises(JwsError, match="'HS256' is not allowed"):
        jws.verify(mac, jws.SUPPORTED_ALGORITHMS, TYP)


def test_the_callers_allowlist_still_narrows(national):
    _, _, token = national
    with pytest.raises(JwsError, match="not allowed"):
        jws.verify(token, {"ES256", "EdDSA"}, TYP)


@pytest.mark.parametrize(
    "signature",
    [
        "",  # empty
        "AAAA",  # too short
        "A" * 86,  # 64 zero octets: r = s = 0 is out of range
        "A" * 87,  # not a base64url length
        "+" * 86,  # base64, not base64url
        "A" * 85 + "=",  # padding
        "_" * 86,  # r, s >= the group order
    ],
)
def test_malformed_signatures_are_errors_not_crashes(national, signature):
    _, _, token = national
    forged = ".".join([*token.split(".")[:2], signature])
    with pytest.raises(JwsError):
        jws.verify(forged, jws.SUPPORTED_ALGORITHMS, TYP)


def test_a_certificate_with_an_unknown_key_algorithm_is_a_clear_error():
    # A GOST 512-bit key (1.2.643.7.1.1.1.2) is well-formed X.509 that tdx does not accept.
    signer = make_signer(make_root("RU"), key_type=KeyType.GOST_2012_256)
    der = signer.cert.public_bytes(Encoding.DER)
    oid_256 = bytes.fromhex("06082a85030701010101")
    assert der.count(oid_256) == 1
    other = x509.load_der_x509_certificate(
        der.replace(oid_256, bytes.fromhex("06082a85030701010102"))
    )
    header = {"alg": "GOST3410-2012-256", "typ": TYP, "x5c": _x5c([other])}
    token = f"{_b64url(json.dumps(header).encode())}.cA.{'A' * 86}"
    with pytest.raises(
        JwsError, match=r"key is not allowed: key algorithm 1\.2\.643\.7\.1\.1\.1\.2"
    ):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)


# --- the trust list decides per country ------------------------------------------------------


def test_the_country_entry_must_allow_the_algorithm(national):
    alg, signer, token = national
    verified = jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)
    country = signer.root.country
    allowed = make_trust_list(signer.root, algorithms=frozenset({"ES256", alg}))
    result = validate_chain(verified.chain, allowed, NOW, Purpose.DOCUMENT, alg)
    assert result.ok, result.reason
    refused = make_trust_list(signer.root, algorithms=frozenset({"ES256"}))
    result = validate_chain(verified.chain, refused, NOW, Purpose.DOCUMENT, alg)
    assert not result.ok
    assert result.organisation is None
    assert result.reason == f"{alg} is not allowed for {country}: its trust-list entry allows ES256"


def test_a_signed_trust_list_carries_the_national_names():
    from identity import keys, trust_list

    cn, ru = make_root("CN"), make_root("RU")
    tl = make_trust_list(cn, ru, algorithms=frozenset({"ES256", "SM2SM3", "GOST3410-2012-256"}))
    operator = keys.generate(KeyType.P256)
    loaded = trust_list.load(trust_list.sign(tl, operator), operator.public_key())
    assert loaded.entries["CN"].algorithms == frozenset({"ES256", "SM2SM3", "GOST3410-2012-256"})


def test_a_bearer_token_can_be_signed_with_a_national_key(national):
    alg, signer, _ = national
    tl = make_trust_list(signer.root, algorithms=frozenset({alg}))
    crls = {signer.root.country: empty_crl(signer.root)}
    token = tokens.mint(signer.key, signer.chain, signer.org.id, "node", NOW)
    claims = tokens.verify(token, TrustStore(tl, crls), "node", NOW)
    assert claims.organisation == signer.org
    with pytest.raises(tokens.TokenError, match="trust-list entry allows ES256"):
        tokens.verify(token, TrustStore(make_trust_list(signer.root), crls), "node", NOW)


def test_a_certificate_with_an_off_curve_sm2_key_is_a_clear_error():
    signer = make_signer(make_root("CN"), key_type=KeyType.SM2)
    der = signer.cert.public_bytes(Encoding.DER)
    y = signer.key.public_key().y.to_bytes(32, "big")
    assert der.count(y) == 1
    broken = x509.load_der_x509_certificate(der.replace(y, bytes([y[0] ^ 1]) + y[1:]))
    token = jws.sign(b"p", signer.key, [broken], TYP)
    with pytest.raises(JwsError, match="key is not allowed: the SM2 public key is not a point"):
        jws.verify(token, jws.SUPPORTED_ALGORITHMS, TYP)
