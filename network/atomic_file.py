"""Files replaced whole or not at all: write a temporary file beside the target, fsync it,
rename it over the target, then fsync the folder so that the rename itself survives a crash.
A reader sees the old bytes or the new, never a half-written file."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (its folder made if missing), durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own, so that two writers of one target never share a temporary file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


__all__ = ["write_atomically"]
