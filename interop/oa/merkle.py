"""OpenAttestation's Merkle tree over the targetHashes of a batch.

Leaves are the 32-byte targetHashes, sorted. A parent is ``keccak256(min(a,b) || max(a,b))``
(the pair sorted, so a proof needs no left/right flags); a node without a partner moves up
unchanged. A proof is the list of sibling hashes from leaf to root, in hex without ``0x``.
This is not RFC 9162's tree (``ledger.tlog.merkle``): no domain separation, sorted pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from interop.oa.hashing import keccak256


def combine(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b if a <= b else b + a)


class MerkleTree:
    """The layers of the tree over ``leaves``, sorted (duplicates kept, as the official
    library keeps them)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        if any(len(leaf) != 32 for leaf in leaves):
            raise ValueError("Merkle leaves are 32-byte hashes")
        layer = sorted(leaves)
        self.layers: list[list[bytes]] = [layer]
        while len(layer) > 1:
            layer = [
                combine(layer[i], layer[i + 1]) if i + 1 < len(layer) else layer[i]
                for i in range(0, len(layer), 2)
            ]
            self.layers.append(layer)
        self._index = {leaf: i for i, leaf in reversed(list(enumerate(self.layers[0])))}

    @property
    def root(self) -> bytes:
        return self.layers[-1][0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """The siblings of ``leaf`` up to the root (the first occurrence, as the official
        library's ``findIndex`` takes)."""
        try:
            index = self._index[leaf]
        except KeyError:
            raise ValueError(f"{leaf.hex()} is not a leaf of this tree") from None
        siblings = []
        for layer in self.layers[:-1]:
            pair = index + 1 if index % 2 == 0 else index - 1
            if pair < len(layer):
                siblings.append(layer[pair])
            index //= 2
        return siblings


def root_of(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf``."""
    node = leaf
    for sibling in proof:
        node = combine(node, sibling)
    return node


def path_nodes(leaf: bytes, proof: Sequence[bytes]) -> list[bytes]:
    """The leaf, every intermediate node and the root: each may be revoked on a store."""
    nodes = [leaf]
    for sibling in proof:
        nodes.append(combine(nodes[-1], sibling))
    return nodes


__all__ = ["MerkleTree", "combine", "path_nodes", "root_of"]
