import base64
import datetime
import os
import shutil
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyasn1.codec.der import decoder
from pyasn1_modules import rfc5958, rfc7914, rfc8018

from identity import key_encryption, keys
from identity.keys import KeyStoreError, KeyType, Pbkdf2Kdf, ScryptKdf
from identity.national import NationalPrivateKey

# The policy, written out here on purpose: weakening identity.key_encryption fails these tests.
PBES2 = "1.2.840.113549.1.5.13"
SCRYPT = "1.3.6.1.4.1.11591.4.11"
AES_256_CBC = "2.16.840.1.101.3.4.1.42"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 16384, 8, 5

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _private_der(key):
    if isinstance(key, NationalPrivateKey):
        return key.pkcs8_der()
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _legacy_save(key, path, passphrase):
    """A key file as tdx wrote it before scrypt: cryptography's PBKDF2, 2,048 iterations."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def _asn1(path):
    """The key file's encryption, read with pyasn1 alone (not with the code under test)."""
    body = b"".join(path.read_bytes().splitlines()[1:-1])
    info, rest = decoder.decode(base64.b64decode(body), asn1Spec=rfc5958.EncryptedPrivateKeyInfo())
    assert rest == b""
    algorithm = info["encryptionAlgorithm"]
    pbes2, _ = decoder.decode(bytes(algorithm["parameters"]), asn1Spec=rfc8018.PBES2_params())
    kdf = pbes2["keyDerivationFunc"]
    scrypt, _ = decoder.decode(bytes(kdf["parameters"]), asn1Spec=rfc7914.Scrypt_params())
    cipher = pbes2["encryptionScheme"]
    iv, _ = decoder.decode(bytes(cipher["parameters"]), asn1Spec=rfc8018.AES_IV())
    return {
        "scheme": str(algorithm["algorithm"]),
        "kdf": str(kdf["algorithm"]),
        "salt": bytes(scrypt["salt"]),
        "N": int(scrypt["costParameter"]),
        "r": int(scrypt["blockSize"]),
        "p": int(scrypt["parallelizationParameter"]),
        "keyLength": scrypt["keyLength"].isValue,
        "cipher": str(cipher["algorithm"]),
        "iv": bytes(iv),
    }


class _CountingScrypt:
    """cryptography's Scrypt, counting derivations."""

    calls = 0

    def __init__(self, **kwargs):
        self._kdf = Scrypt(**kwargs)

    def derive(self, passphrase):
        type(self).calls += 1
        return self._kdf.derive(passphrase)


@pytest.fixture
def derivations(monkeypatch):
    _CountingScrypt.calls = 0
    keys.forget_derived_keys()
    monkeypatch.setattr(key_encryption, "Scrypt", _CountingScrypt)
    yield _CountingScrypt
    keys.forget_derived_keys()


# --- Storing and loading ------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
def test_keys_round_trip_encrypted_with_mode_0600(tmp_path, key_type):
    key = keys.generate_signing_key(key_type)
    path = tmp_path / "org" / "document.key"
    keys.save(key, path, b"correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    keys.forget_derived_keys()  # load as a new process would, deriving again
    loaded = keys.load_signing_key(path, b"correct horse")
    assert keys.key_type_of(loaded) is key_type
    assert _private_der(loaded) == _private_der(key)


@pytest.mark.parametrize("key_type", [KeyType.SM2, KeyType.GOST_2012_256])
def test_national_keys_are_not_pyca_keys(tmp_path, key_type):
    with pytest.raises(KeyStoreError, match="use generate_signing_key"):
        keys.generate(key_type)
    path = tmp_path / "document.key"
    keys.save(keys.generate_signing_key(key_type), path, b"pw")
    with pytest.raises(KeyStoreError, match="read it with load_signing_key"):
        keys.load(path, b"pw")


@pytest.mark.parametrize("key_type", [KeyType.SM2, KeyType.GOST_2012_256])
def test_national_key_with_a_wrong_passphrase_is_a_clear_error(tmp_path, key_type):
    path = tmp_path / "document.key"
    keys.save(keys.generate_signing_key(key_type), path, b"right")
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.load_signing_key(path, b"wrong")


def test_the_kdf_is_scrypt_with_the_chosen_parameters(tmp_path):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"pw")
    found = _asn1(path)
    assert found["scheme"] == PBES2
    assert found["kdf"] == SCRYPT
    assert (found["N"], found["r"], found["p"]) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    assert len(found["salt"]) == 16
    assert found["keyLength"] is False  # as OpenSSL writes it: implied by the cipher
    assert found["cipher"] == AES_256_CBC
    assert len(found["iv"]) == 16
    enc = keys.encryption_of(path)
    assert enc.kdf == ScryptKdf(SCRYPT_N, SCRYPT_R, SCRYPT_P)
    assert enc.meets_policy


@pytest.mark.parametrize(
    ("kdf", "refused"),
    [
        (ScryptKdf(n=2**14, r=8, p=1), "below the minimum"),  # openssl's own default
        (ScryptKdf(n=2**15, r=8, p=3), "OpenSSL opens at most 32 MiB"),
    ],
)
def test_weaker_or_unopenable_kdf_settings_are_refused(tmp_path, kdf, refused):
    path = tmp_path / "k.key"
    with pytest.raises(KeyStoreError, match=refused):
        keys.save(keys.generate(KeyType.P256), path, b"pw", kdf)
    assert not path.exists()


def test_wrong_passphrase_is_one_clear_line(tmp_path, derivations):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"right")
    for _ in range(3):  # padding may pass by chance with a wrong key: the message is the same
        with pytest.raises(KeyStoreError) as exc_info:
            keys.load(path, b"wrong")
        message = str(exc_info.value)
        assert message.startswith(f"cannot decrypt {path}: wrong passphrase")
        assert "\n" not in message
        assert exc_info.value.__cause__ is None
        assert exc_info.value.__suppress_context__


def test_save_never_overwrites_a_key(tmp_path):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"pw")
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        keys.save(keys.generate(KeyType.P256), path, b"pw")
    assert path.read_bytes() == before


def test_an_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(KeyStoreError, match="empty passphrase"):
        keys.save(keys.generate(KeyType.P256), tmp_path / "k.key", b"")


def test_passphrase_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "from-env")
    assert keys.passphrase_from_env_or_prompt() == b"from-env"
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "")
    with pytest.raises(KeyStoreError, match="empty passphrase"):
        keys.passphrase_from_env_or_prompt()


# --- Older files --------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", [t for t in KeyType if t.national_algorithm is None])
def test_a_key_file_of_the_old_format_still_loads(tmp_path, key_type):
    key = keys.generate(key_type)
    path = tmp_path / "old.key"
    _legacy_save(key, path, b"pw")
    enc = keys.encryption_of(path)
    assert enc.kdf == Pbkdf2Kdf(2048)
    assert not enc.meets_policy
    assert _private_der(keys.load(path, b"pw")) == _private_der(key)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.load(path, b"wrong")


# --- Re-encrypting ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_rekey_changes_the_encryption_not_the_key_nor_the_mode(tmp_path, mode):
    key = keys.generate(KeyType.ED25519)
    path = tmp_path / "k.key"
    keys.save(key, path, b"old")
    path.chmod(mode)
    before = _asn1(path)
    keys.rekey(path, b"old", b"new")
    after = _asn1(path)
    assert after["salt"] != before["salt"]
    assert after["iv"] != before["iv"]
    assert (after["N"], after["r"], after["p"]) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert _private_der(keys.load(path, b"new")) == _private_der(key)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.load(path, b"old")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]  # no temporary file left


def test_rekey_moves_an_old_file_to_scrypt(tmp_path):
    key = keys.generate(KeyType.SECP256K1)
    path = tmp_path / "old.key"
    _legacy_save(key, path, b"pw")
    keys.rekey(path, b"pw", b"pw")
    assert keys.encryption_of(path).meets_policy
    assert _asn1(path)["kdf"] == SCRYPT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _private_der(keys.load(path, b"pw")) == _private_der(key)


def test_rekey_with_the_wrong_old_passphrase_changes_nothing(tmp_path):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"old")
    before = path.read_bytes()
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.rekey(path, b"not-old", b"new")
    with pytest.raises(KeyStoreError, match="below the minimum"):
        keys.rekey(path, b"old", b"new", kdf=ScryptKdf(p=1))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]


# --- What a file may ask for ---------------------------------------------------------------


def _crafted(tmp_path, kdf):
    enc = key_encryption.Encryption(kdf, os.urandom(16), os.urandom(16))
    der = key_encryption._encrypted_private_key_info(enc, os.urandom(160))
    path = tmp_path / "crafted.key"
    path.write_bytes(key_encryption._pem(der))
    return path


def test_a_file_asking_for_a_huge_scrypt_cost_is_refused_before_deriving(tmp_path, derivations):
    path = _crafted(tmp_path, ScryptKdf(n=2**22, r=8, p=1))  # 4 GiB
    with pytest.raises(KeyStoreError, match="costs more than a key file may ask for"):
        keys.load(path, b"pw")
    assert derivations.calls == 0


def test_an_unencrypted_key_file_is_refused(tmp_path):
    path = tmp_path / "plain.key"
    path.write_bytes(
        keys.generate(KeyType.P256).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyStoreError, match="'PRIVATE KEY'"):
        keys.load(path, b"pw")


@needs_openssl
@pytest.mark.parametrize(
    ("options", "refused"),
    [
        (["-v2", "aes-128-cbc"], "only AES-256-CBC"),
        (["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1"], "only PBKDF2 with HMAC-SHA256"),
        (["-v1", "PBE-SHA1-3DES"], "only PBES2"),
    ],
)
def test_other_encryptions_are_refused(tmp_path, options, refused):
    plain = tmp_path / "plain.pem"
    plain.write_bytes(
        keys.generate(KeyType.P256).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path = tmp_path / "other.key"
    subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-in", plain, "-out", path, "-passout", "pass:pw", *options],
        check=True,
        capture_output=True,
    )
    with pytest.raises(KeyStoreError, match=refused):
        keys.load(path, b"pw")


# --- OpenSSL opens the files ---------------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize("key_type", [t for t in KeyType if t.national_algorithm is None])
def test_openssl_opens_the_key_file(tmp_path, key_type):
    key = keys.generate(key_type)
    path = tmp_path / "k.key"
    keys.save(key, path, b"correct horse")
    env = {**os.environ, "TDX_PASSPHRASE": "correct horse"}
    pkcs8 = subprocess.run(
        ["openssl", "pkcs8", "-in", path, "-passin", "env:TDX_PASSPHRASE", "-outform", "DER"],
        env=env,
        capture_output=True,
        check=True,
    )
    # OpenSSL writes EC keys without the curve repeated inside: compare keys, not bytes.
    assert _private_der(serialization.load_der_private_key(pkcs8.stdout, None)) == (
        _private_der(key)
    )
    pub = subprocess.run(
        ["openssl", "pkey", "-in", path, "-passin", "env:TDX_PASSPHRASE", "-pubout"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert pub.stdout == key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    wrong = subprocess.run(
        ["openssl", "pkey", "-in", path, "-passin", "pass:wrong", "-noout"], capture_output=True
    )
    assert wrong.returncode != 0


# --- One derivation per passphrase per process ---------------------------------------------


def test_keys_under_one_passphrase_cost_one_derivation_each_way(tmp_path, derivations):
    saved = {}
    for i in range(5):
        saved[i] = keys.generate(KeyType.P256)
        keys.save(saved[i], tmp_path / f"{i}.key", b"home passphrase")
    assert derivations.calls == 1
    salts = {_asn1(tmp_path / f"{i}.key")["salt"] for i in range(5)}
    ivs = {_asn1(tmp_path / f"{i}.key")["iv"] for i in range(5)}
    assert len(salts) == 1  # one home-wide KEK ...
    assert len(ivs) == 5  # ... and a fresh IV for every file
    keys.forget_derived_keys()
    for i in range(5):
        assert _private_der(keys.load(tmp_path / f"{i}.key", b"home passphrase")) == (
            _private_der(saved[i])
        )
    assert derivations.calls == 2
    keys.save(keys.generate(KeyType.P256), tmp_path / "other.key", b"another passphrase")
    assert _asn1(tmp_path / "other.key")["salt"] not in salts
    assert derivations.calls == 3


def test_the_demo_home_uses_the_same_kdf_at_one_derivation(tmp_path, derivations):
    from network.home import init_demo

    home = init_demo(tmp_path / "home", datetime.datetime.now(datetime.UTC))
    files = sorted(home.path.rglob("*.key"))
    assert len(files) == 44
    assert derivations.calls == 1
    for path in files:
        found = _asn1(path)
        assert (found["kdf"], found["N"], found["r"], found["p"]) == (
            SCRYPT,
            SCRYPT_N,
            SCRYPT_R,
            SCRYPT_P,
        )
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
