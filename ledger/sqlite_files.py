"""Opening a SQLite file that several processes open at once (``tdx serve``'s workers).

Two connections switching a new file to WAL and creating its schema at the same moment
can deadlock inside SQLite, which then answers "database is locked" at once instead of
waiting; it stopped a freshly started node. Setting up under an exclusive file lock,
one process after the other, avoids that.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def setting_up(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` while the caller sets the database up."""
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
