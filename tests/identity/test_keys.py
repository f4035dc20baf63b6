import stat

import pytest

from identity import keys
from identity.keys import KeyStoreError, KeyType


@pytest.mark.parametrize("key_type", list(KeyType))
def test_keys_are_stored_encrypted_with_mode_0600(tmp_path, key_type):
    key = keys.generate_signing_key(key_type)
    path = tmp_path / "org" / "document.key"
    keys.save(key, path, b"correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    loaded = keys.load_signing_key(path, b"correct horse")
    assert keys.key_type_of(loaded) is key_type
    assert loaded.public_key() == key.public_key()


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


def test_wrong_passphrase_is_a_clear_error(tmp_path):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"right")
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.load(path, b"wrong")


def test_save_never_overwrites_a_key(tmp_path):
    path = tmp_path / "k.key"
    keys.save(keys.generate(KeyType.P256), path, b"pw")
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        keys.save(keys.generate(KeyType.P256), path, b"pw")
    assert path.read_bytes() == before


def test_passphrase_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "from-env")
    assert keys.passphrase_from_env_or_prompt() == b"from-env"
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "")
    with pytest.raises(KeyStoreError, match="empty passphrase"):
        keys.passphrase_from_env_or_prompt()
