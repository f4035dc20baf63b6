"""Fabric's binaries: built once at the pinned release commit, with the version stamped."""

from __future__ import annotations

import subprocess
import time

import pytest

from network.fabric import binaries
from tests.fabric.fixtures import fabric_unavailable


@pytest.fixture(scope="module")
def built() -> None:
    reason = fabric_unavailable()
    if reason is not None:
        pytest.skip(f"FABRIC TESTS SKIPPED: {reason}")


def test_the_pinned_commit_is_the_v3_1_5_tag():
    assert binaries.VERSION == "3.1.5"
    assert len(binaries.COMMIT) == 40
    assert binaries.LDFLAGS.count("-X github.com/hyperledger/fabric/common/metadata.") == 2


@pytest.mark.parametrize("program", ["peer", "orderer"])
def test_the_binaries_carry_the_stamped_version(built, program):
    out = subprocess.run(
        [str(binaries.binary(program)), "version"], capture_output=True, text=True, check=True
    ).stdout
    assert "Version: 3.1.5" in out
    assert f"Commit SHA: {binaries.COMMIT[:7]}" in out


def test_a_second_build_is_a_no_op(built):
    started = time.monotonic()
    result = binaries.build()
    assert result.how == "present"
    assert time.monotonic() - started < 1.0
    assert (binaries.BIN_DIR / "COMMIT").read_text().strip() == binaries.COMMIT


def test_without_go_the_reason_to_skip_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(binaries, "present", lambda bin_dir=binaries.BIN_DIR: False)
    monkeypatch.setattr(binaries, "go_available", lambda: None)
    assert (
        fabric_unavailable() == "Go is not installed, so Fabric's peer and orderer cannot be built"
    )


def test_a_refused_module_proxy_and_no_source_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(binaries, "go_available", lambda: "/usr/bin/go")
    monkeypatch.setattr(binaries, "_go_install", lambda go, bin_dir, env: "403 Forbidden")
    monkeypatch.delenv("FABRIC_SRC", raising=False)
    with pytest.raises(binaries.BuildError) as caught:
        binaries.build(bin_dir=tmp_path / "bin")
    assert "did not serve github.com/hyperledger/fabric@86c1172bec37 (403 Forbidden)" in str(
        caught.value
    )
    assert "set FABRIC_SRC" in str(caught.value)


def test_a_fresh_clone_copies_the_binaries_from_the_users_cache(built, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    binaries._copy_tree(binaries.FABRIC_DIR, binaries.cache_dir())
    clone = tmp_path / "clone" / ".fabric"
    result = binaries.build(bin_dir=clone / "bin")
    assert result.how.startswith("copied from")
    assert binaries.present(clone / "bin")
