"""network.atomic_file: a file is replaced whole or not at all, and no temporary is left."""

from pathlib import Path

import pytest

from network import atomic_file
from network.atomic_file import write_atomically


def test_replaces_the_file_and_makes_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "trust-list.jws"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["trust-list.jws"]


def test_a_failed_write_keeps_the_old_bytes_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "config.json"
    write_atomically(target, b"old")

    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic_file.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
