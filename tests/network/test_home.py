import datetime
import stat

import pytest

from identity.roles import Role
from network.demo_network import ORGANISATIONS
from network.home import Home, HomeError, init_demo


def test_demo_home_holds_every_organisation_with_its_roles(demo_home):
    orgs = {o.id: o for o in demo_home.organisations()}
    assert set(orgs) == {o.id for o in ORGANISATIONS}
    assert orgs["cn-gacc"].roles == {Role.CUSTOMS, Role.QUARANTINE, Role.CO_ISSUER}
    assert orgs["ru-rzd"].country == "RU"
    assert {o.country for o in orgs.values()} == {"CN", "SG", "RU", "KZ"}
    assert set(demo_home.trust_list().entries) == {"CN", "SG", "RU", "KZ"}


def test_every_private_key_is_encrypted_and_0600(demo_home):
    key_files = list(demo_home.path.rglob("*.key"))
    assert len(key_files) == 2 + 4 + 2 * len(ORGANISATIONS)  # operator, checkpoint, roots
    for path in key_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), path


def test_init_twice_changes_nothing(demo_home):
    before = {p: p.read_bytes() for p in demo_home.path.rglob("*") if p.is_file()}
    with pytest.raises(HomeError, match="already exists"):
        init_demo(demo_home.path, datetime.datetime.now(datetime.UTC))
    after = {p: p.read_bytes() for p in demo_home.path.rglob("*") if p.is_file()}
    assert after == before


def test_init_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    with pytest.raises(HomeError, match="not empty"):
        init_demo(tmp_path / "home", datetime.datetime.now(datetime.UTC))
    assert [p.name for p in (tmp_path / "home").iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["home"]  # no staging left behind


def test_missing_home_and_unknown_org_are_clear_errors(tmp_path, demo_home):
    with pytest.raises(HomeError, match="tdx init --demo"):
        Home(tmp_path / "nowhere").trust_list()
    with pytest.raises(HomeError, match="unknown organisation 'cn-nobody'"):
        demo_home.credentials("cn-nobody")


def test_revocation_is_idempotent_and_keeps_the_first_time(demo_home):
    first = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    now = datetime.datetime.now(datetime.UTC)
    assert demo_home.revoke("cn-boc", first, now) == first
    assert demo_home.revoke("cn-boc", now, now) == first


def test_a_tampered_trust_list_stops_the_node(demo_home):
    path = demo_home.path / "trust-list.jws"
    head, body, sig = path.read_text().split(".")
    path.write_text(f"{head}.{body[:-2]}AA.{sig}")
    with pytest.raises(ValueError, match="trust list"):
        demo_home.trust_list()
