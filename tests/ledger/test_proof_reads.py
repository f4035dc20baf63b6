"""Proofs read from the embedded ledger's tables (``ledger.embedded.proof_reads``) are
RFC 9162 proofs: the same as ``merkle.inclusion_proof`` for every index and size, whether
the reader keeps parts of the tree or not, and a missing node is an error, never a guess."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.embedded.proof_reads import ProofReads, entry_reads
from ledger.tlog import merkle

SIZE = 300


def _leaf(i: int) -> bytes:
    return f"entry {i}".encode()


@pytest.fixture(scope="module")
def tree():
    """A stored tree of SIZE leaves, in the ledger's table layout, and the same in memory."""
    store = merkle.MemoryNodeStore()
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")
    db.execute(
        "CREATE TABLE nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
        " PRIMARY KEY (level, idx)) WITHOUT ROWID"
    )
    for i in range(SIZE):
        index = store.size
        for level, idx, value in merkle.append_nodes(index, merkle.leaf_hash(_leaf(i)), store.get):
            store.put(level, idx, value)
            db.execute("INSERT INTO nodes VALUES (?, ?, ?)", (level, idx, value))
        db.execute("INSERT INTO entries VALUES (?, ?)", (i, _leaf(i)))
    return db, store


def test_every_proof_up_to_a_hundred_leaves_is_rfc_9162s(tree):
    db, store = tree
    keeping, fresh = ProofReads(keep=True), ProofReads(keep=False)
    for size in range(1, 101):
        for index in range(size):
            expected = merkle.inclusion_proof(store, index, size)
            for reads in (keeping, fresh):
                leaf, path = reads.leaf_and_path(db, index, size)
                assert leaf == _leaf(index)
                assert path == expected, (index, size)
                root = merkle.root(store, size)
                assert merkle.verify_inclusion(merkle.leaf_hash(leaf), index, size, path, root)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_proofs_at_any_size_agree_with_the_reference(tree, data):
    db, store = tree
    size = data.draw(st.integers(1, SIZE))
    index = data.draw(st.integers(0, size - 1))
    reads = ProofReads(keep=True)
    for _ in range(2):  # the second read uses what the first kept
        assert reads.leaf_and_path(db, index, size)[1] == merkle.inclusion_proof(store, index, size)


def test_proofs_from_the_entrys_own_row_are_rfc_9162s(tree):
    """The leaf and low siblings read with a statement's row (``entry_reads``), the rest
    kept or read: the same proofs, the second time round from what was kept."""
    db, store = tree
    reads = ProofReads(keep=True)
    columns, joins = entry_reads("q.i")
    query = f"WITH q(i) AS (SELECT ?) SELECT {columns} FROM q {joins}"
    for _ in range(2):
        for size in (1, 2, 3, 7, 8, 9, 64, 100, 255, 256, 257, SIZE):
            for index in range(size):
                leaf, *siblings = db.execute(query, (index,)).fetchone()
                got = reads.path_with(db, index, size, leaf, siblings)
                assert got == (_leaf(index), merkle.inclusion_proof(store, index, size))


def test_a_missing_entry_or_node_is_an_error():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")
    db.execute("CREATE TABLE nodes (level INTEGER, idx INTEGER, hash BLOB)")
    db.execute("INSERT INTO entries VALUES (0, x'00'), (1, x'01')")
    with pytest.raises(LookupError):
        ProofReads(keep=True).leaf_and_path(db, 1, 2)  # the sibling node is not stored
    with pytest.raises(LookupError):
        ProofReads(keep=True).leaf_and_path(db, 5, 9)  # nor the entry
    with pytest.raises(ValueError, match="out of range"):
        ProofReads(keep=True).leaf_and_path(db, 2, 2)
