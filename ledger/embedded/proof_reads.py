"""Inclusion proofs read from the embedded ledger's stored tree: an entry's leaf and its
audit path, in one statement.

Each range of an audit path is one stored complete subtree, except on the tree's right
edge, where a range folds several stored subtrees. An edge range's hash is a function of
the leaves it covers, which never change once committed (the log is append-only), and
every proof at one tree size shares the same few edge ranges (at most one per level). So a
reader keeps them (bounded) and a proof costs one statement and no hashing. Only readers
use the kept hashes: they see committed data alone (the writer's proofs, built inside its
open transaction, are read afresh).
"""

from __future__ import annotations

import sqlite3

from ledger.tlog import merkle

MAX_EDGES = 4096  # edge ranges kept; a tree of size n has at most log2(n) per size


def _fold(peaks: list[bytes]) -> bytes:
    """MTH of consecutive complete subtrees, largest first: they fold from the right."""
    value = peaks[-1]
    for peak in reversed(peaks[:-1]):
        value = merkle.node_hash(peak, value)
    return value


class ProofReads:
    """Leaves and audit paths from the ``entries`` and ``nodes`` tables."""

    def __init__(self, keep_edges: bool) -> None:
        self._keep = keep_edges
        self._edges: dict[tuple[int, int], bytes] = {}

    def leaf_and_path(
        self, db: sqlite3.Connection, index: int, size: int
    ) -> tuple[bytes, list[bytes]]:
        """Entry ``index``'s leaf and its inclusion proof in the tree of ``size`` leaves.
        ``LookupError`` if the entry or a node is not stored."""
        ranges = merkle.inclusion_ranges(index, size)
        edges = self._edges
        shapes = [merkle.range_nodes(start, end) for start, end in ranges]
        wanted = [
            node
            for (start, end), nodes in zip(ranges, shapes, strict=True)
            if len(nodes) == 1 or (start, end) not in edges
            for node in nodes
        ]
        query = "SELECT -1, idx, leaf FROM entries WHERE idx = ?"
        params = [index]
        if wanted:
            where = " OR ".join(["(level = ? AND idx = ?)"] * len(wanted))
            query += f" UNION ALL SELECT level, idx, hash FROM nodes WHERE {where}"  # noqa: S608
            params += [n for node in wanted for n in node]
        found: dict[tuple[int, int], bytes] = {}
        leaf = None
        for level, idx, value in db.execute(query, params):
            if level == -1:
                leaf = bytes(value)
            else:
                found[(level, idx)] = bytes(value)
        if leaf is None:
            raise LookupError(f"log entry {index} is missing")
        path = []
        for (start, end), nodes in zip(ranges, shapes, strict=True):
            if len(nodes) == 1:
                path.append(found[nodes[0]])  # a missing node: KeyError
                continue
            value = edges.get((start, end))
            if value is None:
                value = _fold([found[node] for node in nodes])
                if self._keep:
                    if len(edges) >= MAX_EDGES:
                        edges.clear()
                    edges[(start, end)] = value
            path.append(value)
        return leaf, path


__all__ = ["MAX_EDGES", "ProofReads"]
