"""Inclusion proofs read from the embedded ledger's stored tree: an entry's leaf and its
audit path, in one statement.

A proof of leaf ``i`` in a tree of ``n`` leaves is, from the bottom: the siblings of its
ancestors below the level where ``i`` and ``n - 1`` part (complete subtrees), one range on
the tree's right edge (several stored subtrees folded, or one), and the left siblings of
its ancestors above (complete subtrees). The test holds this equal to
``ledger.tlog.merkle.inclusion_proof`` for every index and size it tries.

Committed subtree hashes never change (the log is append-only), so a reader keeps two
kinds of them, bounded: the right edge's range hashes (every proof at one size shares the
same few) and the complete subtrees at high levels (each one in the proofs of at least
``2**MIN_KEPT_LEVEL`` leaves). Neither is a document's result: both are parts of the tree,
and every proof is still checked against the signed checkpoint. Only readers keep them:
they see committed data alone (the writer's proofs, built inside its open transaction,
are read afresh).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ledger.tlog import merkle

MAX_EDGES = 4096  # edge ranges kept; a tree of size n has at most log2(n) per size
MAX_NODES = 1 << 18  # complete subtrees kept (about 40 MB at most)
MIN_KEPT_LEVEL = 3  # a subtree of this level or above is in the proofs of 8 leaves or more

Node = tuple[int, int]


def _fold(peaks: list[bytes]) -> bytes:
    """MTH of consecutive complete subtrees, largest first: they fold from the right."""
    value = peaks[-1]
    for peak in reversed(peaks[:-1]):
        value = merkle.node_hash(peak, value)
    return value


def proof_shape(index: int, size: int) -> tuple[list[Node], tuple[int, int] | None, list[Node]]:
    """The proof's complete siblings below the edge, its edge range (None if the leaf is
    the last), and its complete siblings above, each list from the bottom."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is out of range for a tree of size {size}")
    inner = (index ^ (size - 1)).bit_length()
    below = [(level, (index >> level) ^ 1) for level in range(inner - 1)]
    edge = None
    if inner:
        level = inner - 1
        edge = (((index >> level) + 1) << level, size)  # the right sibling, to the edge
    above = [
        (level, (index >> level) - 1)
        for level in range(inner, size.bit_length())
        if (index >> level) & 1
    ]
    return below, edge, above


def _read(
    db: sqlite3.Connection, index: int | None, wanted: list[Node], found: dict[Node, bytes]
) -> bytes:
    """Entry ``index``'s leaf (unless None) and the ``wanted`` nodes (into ``found``), in
    one statement; ``LookupError`` if the entry is not stored."""
    parts: list[str] = []
    params: list[int] = []
    if index is not None:
        parts.append("SELECT -1, idx, leaf FROM entries WHERE idx = ?")
        params.append(index)
    if wanted:
        where = " OR ".join(["(level = ? AND idx = ?)"] * len(wanted))
        parts.append(f"SELECT level, idx, hash FROM nodes WHERE {where}")  # noqa: S608
        params += [n for node in wanted for n in node]
    leaf = b""
    for level, idx, value in db.execute(" UNION ALL ".join(parts), params):
        if level == -1:
            leaf = bytes(value)
        else:
            found[(level, idx)] = bytes(value)
    if index is not None and not leaf:
        raise LookupError(f"log entry {index} is missing")
    return leaf


def entry_reads(index: str) -> tuple[str, str]:
    """SQL columns and the LEFT JOINs they read from, for a statement that finds entry
    ``index`` (an SQL expression of a table before the joins): its leaf and its sibling at
    each level below ``MIN_KEPT_LEVEL`` (NULL if not stored), what a proof needs besides the
    kept nodes, so that it costs no statement of its own. (Every proof node that is not an
    edge range is its ancestor's sibling: the subtree whose index differs in the last bit,
    ``(x | 1) - (x & 1)`` in SQL.) Joins, not a scalar subquery per column: each of those
    opens its own cursor, each time."""
    # ``index`` is the caller's SQL expression (a column name), never input.
    columns = ["entry_leaf.leaf"]
    joins = [f"LEFT JOIN entries AS entry_leaf ON entry_leaf.idx = {index}"]
    for level in range(MIN_KEPT_LEVEL):
        x, node = f"({index} >> {level})", f"sibling_{level}"
        columns.append(f"{node}.hash")
        joins.append(
            f"LEFT JOIN nodes AS {node} ON {node}.level = {level} "
            f"AND {node}.idx = ({x} | 1) - ({x} & 1)"
        )
    return ", ".join(columns), " ".join(joins)


class ProofReads:
    """Leaves and audit paths from the ``entries`` and ``nodes`` tables."""

    def __init__(self, keep: bool) -> None:
        self._keep = keep
        self._edges: dict[tuple[int, int], bytes] = {}
        self._nodes: dict[Node, bytes] = {}

    def leaf_and_path(
        self, db: sqlite3.Connection, index: int, size: int
    ) -> tuple[bytes, list[bytes]]:
        """Entry ``index``'s leaf and its inclusion proof in the tree of ``size`` leaves.
        ``LookupError`` if the entry or a node is not stored."""
        return self.path_with(db, index, size, None, ())

    def path_with(
        self,
        db: sqlite3.Connection,
        index: int,
        size: int,
        leaf: bytes | None,
        siblings: Sequence[bytes | None],
    ) -> tuple[bytes, list[bytes]]:
        """As ``leaf_and_path``, given the leaf and the low siblings read with the entry
        (``entry_reads``): only what is neither given nor kept is read, if anything."""
        below, edge, above = proof_shape(index, size)
        kept, edges = self._nodes, self._edges
        found: dict[Node, bytes] = {}
        for level, value in enumerate(siblings):
            if value is not None:
                found[(level, (index >> level) ^ 1)] = bytes(value)  # the other child
        edge_nodes: list[Node] = []
        if edge is not None and edge not in edges:
            edge_nodes = merkle.range_nodes(*edge)
        wanted = [n for n in (*below, *edge_nodes, *above) if n not in kept and n not in found]
        if leaf is None:
            leaf = _read(db, index, wanted, found)
        elif wanted:
            _read(db, None, wanted, found)
        if self._keep and wanted:  # what was given is below MIN_KEPT_LEVEL: not kept
            self._remember(found)
        # A node neither kept nor found is missing: KeyError.
        path = [kept[n] if n in kept else found[n] for n in below]
        if edge is not None:
            value = edges.get(edge)
            if value is None:
                value = _fold([kept[n] if n in kept else found[n] for n in edge_nodes])
                if self._keep:
                    if len(edges) >= MAX_EDGES:
                        edges.clear()
                    edges[edge] = value
            path.append(value)
        path += [kept[n] if n in kept else found[n] for n in above]
        return leaf, path

    def _remember(self, found: dict[Node, bytes]) -> None:
        high = {n: v for n, v in found.items() if n[0] >= MIN_KEPT_LEVEL}
        if high:
            if len(self._nodes) + len(high) > MAX_NODES:
                self._nodes.clear()
            self._nodes.update(high)


__all__ = [
    "MAX_EDGES",
    "MAX_NODES",
    "MIN_KEPT_LEVEL",
    "ProofReads",
    "entry_reads",
    "proof_shape",
]
