"""The walk of a record's provenance over a ``links`` table (``a``, ``issuer``, ``b``,
``b_issuer``), bounded, as the embedded engine and the EVM and Fabric indexes keep it: one
breadth-first walk, so that ``trace`` reaches the same records on every engine."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Key = tuple[str, str]  # (digest, issuer)
_LINKS = "SELECT b, b_issuer FROM links WHERE a = ? AND issuer = ?"


def provenance(
    db: sqlite3.Connection,
    issuer_of: Callable[[str, str | None], str | None],
    start: Key,
    max_documents: int,
) -> set[Key]:
    """``start`` and the records it links to, transitively, at most ``max_documents``; a
    link whose target has no record (``issuer_of`` answers None) is skipped."""
    seen = {start}
    frontier = [start]
    while frontier and len(seen) < max_documents:
        nxt = []
        for a, a_issuer in frontier:
            for b, b_issuer in db.execute(_LINKS, (a, a_issuer)).fetchall():
                target = issuer_of(str(b), b_issuer)
                key = (str(b), target or "")
                if target is None or key in seen or len(seen) >= max_documents:
                    continue
                seen.add(key)
                nxt.append(key)
        frontier = nxt
    return seen


__all__ = ["Key", "provenance"]
