"""National keys: encodings, validation, fail-closed verification, and other implementations
(GmSSL, gmalg, the OpenSSL command line) agreeing with ours."""

import shutil
import subprocess

import gmalg
import gmssl_pyx
import pytest
from asn1crypto import algos
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import keys
from identity.national import NationalKeyError, gost, registry, sm2
from identity.national.encoding import (
    KeyEncoding,
    octet_string_der,
    oid_der,
    write_pkcs8,
    write_spki,
)

SM2_KEY = registry.SM2_SM3.generate()
GOST_KEY = registry.GOST_2012_256.generate()
KEYS = [pytest.param(SM2_KEY, id="SM2"), pytest.param(GOST_KEY, id="GOST")]


@pytest.mark.parametrize("key", KEYS)
def test_encodings_round_trip(key):
    public = key.public_key()
    assert registry.public_key_from_spki(public.spki_der()) == public
    assert registry.private_key_from_pkcs8(key.pkcs8_der()) == key


@pytest.mark.parametrize("key", KEYS)
def test_key_files_round_trip_in_the_same_container_as_every_key(key, tmp_path):
    keys.save(key, tmp_path / "k.key", b"pw")
    assert keys.load_signing_key(tmp_path / "k.key", b"pw") == key
    assert isinstance(keys.encryption_of(tmp_path / "k.key").kdf, keys.ScryptKdf)
    with pytest.raises(keys.KeyStoreError, match="read it with load_signing_key"):
        keys.load(tmp_path / "k.key", b"pw")


@pytest.mark.parametrize("key", KEYS)
def test_the_private_scalar_never_shows(key):
    assert str(key.d) not in repr(key)
    assert "(d=" not in repr(key)


def test_generated_keys_differ():
    assert registry.SM2_SM3.generate() != SM2_KEY
    assert registry.GOST_2012_256.generate() != GOST_KEY


def test_gost_draws_its_nonce_from_secrets(monkeypatch):
    signatures = {GOST_KEY.sign(b"m") for _ in range(2)}
    assert len(signatures) == 2
    monkeypatch.setattr(gost.secrets, "randbelow", lambda bound: 12345)
    assert GOST_KEY.sign(b"m") == GOST_KEY.sign(b"m")


def test_sm2_draws_its_nonce_from_secrets(monkeypatch):
    assert SM2_KEY.sign(b"m") != SM2_KEY.sign(b"m")
    monkeypatch.setattr(sm2.secrets, "randbits", lambda bits: 12345)
    assert SM2_KEY.sign(b"m") == SM2_KEY.sign(b"m")


# --- malformed input: a NationalKeyError that says what is wrong -------------------------

SM2_CURVE = oid_der(sm2.SM2_CURVE)
GOST_PARAMS = bytes.fromhex("300b06092a8503070102010102")  # {paramSetB}
X, Y = SM2_KEY.public.x, SM2_KEY.public.y


def _sm2_spki(point: bytes) -> bytes:
    return write_spki(KeyEncoding(sm2.EC_PUBLIC_KEY, SM2_CURVE, point))


def _gost_spki(params: bytes | None, key: bytes) -> bytes:
    return write_spki(KeyEncoding(gost.GOST_2012_256, params, key))


@pytest.mark.parametrize(
    ("spki", "message"),
    [
        (b"", "not valid DER"),
        (b"\x30\x00", "not valid DER"),
        (SM2_KEY.public.spki_der() + b"\x00", "trailing data"),
        (b"\x30\x81" + SM2_KEY.public.spki_der()[1:], "not in DER"),
        (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "is not a national algorithm",
        ),
        (_sm2_spki(b"\x02" + X.to_bytes(32, "big")), "uncompressed point"),
        (_sm2_spki(b"\x04" + X.to_bytes(32, "big") + (Y ^ 1).to_bytes(32, "big")), "not a point"),
        (
            _sm2_spki(b"\x04" + (sm2.P + 1).to_bytes(32, "big") + Y.to_bytes(32, "big")),
            "not a point",
        ),
        (_gost_spki(None, octet_string_der(b"\x01" * 64)), "must name its parameter set"),
        (
            _gost_spki(bytes.fromhex("300b06092a8503070102010101"), octet_string_der(b"\x01" * 64)),
            "parameter set 1.2.643.7.1.2.1.1.1 is not allowed",
        ),
        (
            _gost_spki(
                bytes.fromhex("301506092a85030701020101020608 2a85030701010203".replace(" ", "")),
                octet_string_der(b"\x01" * 64),
            ),
            "is not Streebog-256",
        ),
        (_gost_spki(GOST_PARAMS, octet_string_der(b"\x01" * 63)), "must be 64 octets"),
        (_gost_spki(GOST_PARAMS, b"\x01" * 66), "not valid DER"),
        (_gost_spki(GOST_PARAMS, octet_string_der(b"\x01" * 64)), "not a point"),
    ],
    # Keys generated at import differ between xdist workers: ids must not show them.
    ids=lambda value: value if isinstance(value, str) else "spki",
)
def test_malformed_public_keys_are_clear_errors(spki, message):
    with pytest.raises(NationalKeyError, match=message):
        registry.public_key_from_spki(spki)


def test_malformed_private_keys_are_clear_errors():
    with pytest.raises(NationalKeyError, match="out of range"):
        sm2.SM2PrivateKey(sm2.N - 1, SM2_KEY.public)
    with pytest.raises(NationalKeyError, match="out of range"):
        gost.GostPrivateKey(0, GOST_KEY.public)
    other = registry.SM2_SM3.generate()
    mismatched = sm2.SM2PrivateKey(SM2_KEY.d, other.public).pkcs8_der()
    with pytest.raises(NationalKeyError, match="does not match its private key"):
        registry.private_key_from_pkcs8(mismatched)
    zero = write_pkcs8(KeyEncoding(gost.GOST_2012_256, GOST_PARAMS, octet_string_der(bytes(32))))
    with pytest.raises(NationalKeyError, match="out of range"):
        registry.private_key_from_pkcs8(zero)
    with pytest.raises(NationalKeyError, match="not valid DER"):
        registry.private_key_from_pkcs8(b"\x30\x03\x02\x01\x00")


def test_a_damaged_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / "k.key"
    keys.save(SM2_KEY, path, b"pw")
    with pytest.raises(keys.KeyStoreError, match="wrong passphrase"):
        keys.load_signing_key(path, b"other")
    damaged = tmp_path / "damaged.key"
    damaged.write_bytes(
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    with pytest.raises(keys.KeyStoreError, match="cannot read"):
        keys.load_signing_key(damaged, b"pw")


def test_unknown_algorithm_names_are_refused():
    with pytest.raises(NationalKeyError, match="no national algorithm 'ES256'"):
        registry.plugin("ES256")


@settings(max_examples=60, deadline=None)
@given(signature=st.binary(max_size=80), message=st.binary(max_size=64))
def test_sm2_verification_never_raises(signature, message):
    assert SM2_KEY.public.verify(signature, message) is False


@settings(max_examples=8, deadline=None)
@given(signature=st.binary(min_size=64, max_size=64) | st.binary(max_size=70))
def test_gost_verification_never_raises(signature):
    assert GOST_KEY.public.verify(signature, b"m") is False


# --- other implementations agree -----------------------------------------------------------


def test_gmssl_signatures_verify_and_ours_verify_with_gmalg():
    raw_public = SM2_KEY.public.spki_der()[-64:]
    # GmSSL signs with its own nonce here only to produce a third-party signature.
    der = gmssl_pyx.sm2_sign(SM2_KEY.d.to_bytes(32, "big"), raw_public, b"interop")
    rs = algos.DSASignature.load(der)
    signature = rs["r"].native.to_bytes(32, "big") + rs["s"].native.to_bytes(32, "big")
    assert SM2_KEY.public.verify(signature, b"interop")
    ours = SM2_KEY.sign(b"interop")
    verifier = gmalg.SM2(uid=sm2.DEFAULT_USER_ID, pk=b"\x04" + raw_public)
    assert verifier.verify(b"interop", ours[:32], ours[32:])


OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl command")


def _openssl(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], capture_output=True, timeout=30, check=False)


@needs_openssl
def test_openssl_reads_our_sm2_key_files_and_agrees_on_signatures(tmp_path):
    key_path, pub_path, msg_path = tmp_path / "k.pem", tmp_path / "pub.der", tmp_path / "msg"
    keys.save(SM2_KEY, key_path, b"pw")
    pub_path.write_bytes(SM2_KEY.public.spki_der())
    msg_path.write_bytes(b"signed by openssl")
    sm2_options = ["-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    signed = _openssl(
        "pkeyutl", "-sign", "-inkey", str(key_path), "-passin", "pass:pw", *sm2_options,
        "-in", str(msg_path),
    )  # fmt: skip
    if signed.returncode != 0 and b"distid" in signed.stderr:
        pytest.skip("this openssl has no SM2 distinguishing-ID option")
    assert signed.returncode == 0, signed.stderr
    rs = algos.DSASignature.load(signed.stdout)
    signature = rs["r"].native.to_bytes(32, "big") + rs["s"].native.to_bytes(32, "big")
    assert SM2_KEY.public.verify(signature, b"signed by openssl")

    ours = SM2_KEY.sign(b"signed by openssl")
    sig_path = tmp_path / "sig.der"
    sig_path.write_bytes(
        algos.DSASignature(
            {"r": int.from_bytes(ours[:32], "big"), "s": int.from_bytes(ours[32:], "big")}
        ).dump()
    )
    verified = _openssl(
        "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", str(pub_path),
        *sm2_options, "-in", str(msg_path), "-sigfile", str(sig_path),
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert b"Verified Successfully" in verified.stdout
