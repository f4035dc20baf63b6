"""RFC 9162 (Certificate Transparency v2) Merkle trees: hashing, proofs and their verification.

The ledger persists a tree as the hashes of its complete subtrees, addressed by ``(level,
index)``; the functions here turn such a store into roots and proofs for any tree size, and
verify proofs without it, so a client needs nothing but the hashes and this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Domain separation (RFC 9162 §2.1.1): a leaf can never be read as an interior node.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# Verifiers copy this instead of building a fresh hasher per node: fewer calls, no concatenation.
_NODE_HASHER = hashlib.sha256(_NODE_PREFIX)


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf input: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class NodeStore(Protocol):
    """Read access to stored complete-subtree hashes.

    Node ``(level, i)`` is the hash of leaves ``[i * 2**level, (i + 1) * 2**level)``. ``get``
    must raise (``KeyError`` by convention) for a node that is not stored, which is what
    happens when a caller asks about a size beyond the stored tree.
    """

    def get(self, level: int, index: int) -> bytes: ...


class MemoryNodeStore:
    """A dict-backed ``NodeStore`` for tests, tools and small trees kept in memory."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """The number of leaves stored (one past the highest leaf index put)."""
        return self._size

    def get(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"node (level {level}, index {index}) is not stored") from None

    def put(self, level: int, index: int, value: bytes) -> None:
        self._nodes[(level, index)] = value
        if level == 0 and index >= self._size:
            self._size = index + 1

    def append(self, leaf: bytes) -> int:
        """Append a leaf *hash*, store every node it completes and return the leaf's index."""
        index = self._size
        for level, i, value in append_nodes(index, leaf, self.get):
            self.put(level, i, value)
        return index


def append_nodes(
    size: int, leaf: bytes, get: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The nodes to store when the leaf hash ``leaf`` is appended to a tree of ``size`` leaves.

    Returns ``(level, index, hash)`` for the leaf itself and for each parent it completes;
    ``get`` reads the left siblings, which are complete and therefore already stored.
    """
    _check_size(size)
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}")
    nodes = [(0, size, leaf)]
    level, index, value = 0, size, leaf
    # An odd index is a right child: appending it completes its parent, and so on upwards.
    while index & 1:
        value = node_hash(get(level, index - 1), value)
        level, index = level + 1, index >> 1
        nodes.append((level, index, value))
    return nodes


def root(store: NodeStore, size: int) -> bytes:
    """The root hash of the first ``size`` leaves of the stored tree."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(store.get, 0, size)


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) of leaf ``index`` in the tree of ``size`` leaves.

    Hashes are listed from the leaf's sibling up to the root's child, as ``verify_inclusion``
    expects.
    """
    return [_range_hash(store.get, start, end) for start, end in _proof_ranges(index, size)]


def inclusion_proof_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """The stored nodes ``(level, index)`` that ``inclusion_proof`` reads, so that a store
    can fetch them in one go."""
    return [node for start, end in _proof_ranges(index, size) for node in _range_nodes(start, end)]


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose hashes are the inclusion proof of leaf ``index``
    in the tree of ``size`` leaves, in the proof's order."""
    return _proof_ranges(index, size)


def range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The stored complete subtrees ``(level, index)`` whose fold is the hash of a proof's
    range ``[start, end)``, largest first (one when the range is a complete subtree)."""
    return _range_nodes(start, end)


def _proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    _check_size(size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is out of range for a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    # Walk down PATH(m, D[start:end]) from the root, collecting the sibling at each split.
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    ranges.reverse()
    return ranges


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof that the tree of ``old_size`` leaves is a prefix of the
    tree of ``new_size`` leaves.

    It is empty when the sizes are equal or ``old_size`` is 0: there is nothing to prove.
    """
    _check_size(old_size)
    if not old_size <= new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0:
        return []
    get = store.get
    # SUBPROOF(m, D[start:end], b) unrolled: each step adds one hash that the RFC appends
    # after the recursive part, so they are collected and reversed at the end. `known` is the
    # RFC's b: whether the verifier already has the hash of D[start:old_size], which is only
    # the case while start is 0 (it is the old root).
    tail: list[bytes] = []
    start, end, known = 0, new_size, True
    while True:
        if old_size == end:
            if not known:
                tail.append(_range_hash(get, start, end))
            break
        split = start + _largest_power_of_two_below(end - start)
        if old_size <= split:
            tail.append(_range_hash(get, split, end))
            end = split
        else:
            tail.append(_range_hash(get, start, split))
            start, known = split, False
    tail.reverse()
    return tail


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash at ``index`` in the tree of ``size`` with ``root``.

    Accepts exactly what RFC 9162 §2.1.3.2 accepts, with its bit shifting worked out before
    the loop (the tests check the two agree). Invalid input (index out of range, wrong proof
    length) fails verification rather than raising, since proofs come from untrusted parties.
    """
    if not 0 <= index < size:
        return False
    # Below level `inner` the paths to the leaf and to the last leaf differ, and the RFC hashes
    # a proof node on the left exactly when that bit of the index is set. From there up the
    # leaf is on the right edge: the RFC skips the levels where the edge node has no sibling
    # and hashes every remaining proof node on the left, one per set bit of index >> inner.
    # Its final "sn == 0" check is the length check.
    inner = (index ^ (size - 1)).bit_length()
    length = len(proof)
    if length != inner + (index >> inner).bit_count():
        return False
    left = (index & ((1 << inner) - 1)) | (((1 << (length - inner)) - 1) << inner)
    # Hot path (the ledger checks tens of thousands of proofs a second): locals only, and
    # each step is one copy of a hasher already fed 0x01, the cheapest hash in CPython.
    prefixed = _NODE_HASHER.copy
    r = leaf_hash
    for p in proof:
        h = prefixed()
        if left & 1:
            h.update(p)
            h.update(r)
        else:
            h.update(r)
            h.update(p)
        r = h.digest()
        left >>= 1
    # Roots and proofs are public, so a plain comparison leaks nothing worth protecting.
    return r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of the tree
    (``new_size``, ``new_root``).

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``. The RFC leaves the trivial cases
    open; they hold only with an empty proof: equal sizes need equal roots, and the empty
    tree (whose root must be SHA-256 of nothing) is a prefix of every tree.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    # 1. An empty path proves nothing.
    if not proof:
        return False
    # 2. A power-of-two old tree is a complete subtree, so its root starts the path.
    path: Sequence[bytes] = [old_root, *proof] if old_size & (old_size - 1) == 0 else proof
    prefixed = _NODE_HASHER.copy
    # 3-4. Skip the levels where the old tree's last leaf is a right child.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for i in range(1, len(path)):
        c = path[i]
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            h = prefixed()
            h.update(c)
            h.update(fr)
            fr = h.digest()
            h = prefixed()
            h.update(c)
            h.update(sr)
            sr = h.digest()
            # An even fn equal to sn is its level's last node, with no right sibling: it
            # moves up unhashed until it is a right child.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            h = prefixed()
            h.update(sr)
            h.update(c)
            sr = h.digest()
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == old_root and sr == new_root and sn == 0


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of the leaf *inputs* ``leaves`` (each is hashed with ``leaf_hash``), by the RFC's
    recursive definition: the reference for tests, and enough for small in-memory batches.
    """
    if not leaves:
        return EMPTY_ROOT
    return _mth(leaves, 0, len(leaves))


def root_of_batch(leaves: Sequence[bytes]) -> bytes:
    """The same root as ``root_from_leaves``, computed bottom-up in one pass per level.

    Pairing neighbours level by level and carrying an unpaired last node up unchanged
    builds exactly the RFC's tree (its left subtrees are the largest powers of two), at a
    fraction of the recursion's cost: this is what anchors batches of thousands.
    """
    if not leaves:
        return EMPTY_ROOT
    level = [leaf_hash(leaf) for leaf in leaves]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _mth(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return leaf_hash(leaves[start])
    split = start + _largest_power_of_two_below(end - start)
    return node_hash(_mth(leaves, start, split), _mth(leaves, split, end))


def _range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up leaves ``[start, end)``, largest first.

    Every range a proof needs starts at a multiple of a power of two at least ``end - start``,
    so it splits into complete subtrees, one per set bit of its length.
    """
    nodes: list[tuple[int, int]] = []
    length, position = end - start, start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def _range_hash(get: Callable[[int, int], bytes], start: int, end: int) -> bytes:
    """MTH of leaves ``[start, end)``, from stored complete subtrees: one read each, then
    they fold from the right as MTH does."""
    peaks = [get(level, index) for level, index in _range_nodes(start, end)]
    value = peaks.pop()
    while peaks:
        value = node_hash(peaks.pop(), value)
    return value


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162's split: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_size(size: int) -> None:
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
