"""A log with two histories, for witness tests: two in-memory RFC 9162 trees that share their
first ``common`` leaves and differ after, each checkpoint signed with the same log key."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import checkpoint, merkle
from ledger.tlog.add_checkpoint import AddCheckpoint
from ledger.tlog.checkpoint import Checkpoint


class Forks:
    def __init__(
        self, origin: str, key: Ed25519PrivateKey, size: int = 64, common: int = 8
    ) -> None:
        self.origin = origin
        self.key = key
        self.vkey = checkpoint.verifier_key(origin, key.public_key())
        self.trees = []
        for fork in range(2):
            store = merkle.MemoryNodeStore()
            for i in range(size):
                data = f"entry {i}" if i < common else f"fork {fork} entry {i}"
                store.append(merkle.leaf_hash(data.encode()))
            self.trees.append(store)

    def checkpoint(self, fork: int, size: int) -> Checkpoint:
        return Checkpoint(self.origin, size, merkle.root(self.trees[fork], size))

    def note(self, fork: int, size: int) -> str:
        return checkpoint.sign(self.checkpoint(fork, size), self.origin, self.key)

    def proof(self, fork: int, old: int, new: int) -> tuple[bytes, ...]:
        return tuple(merkle.consistency_proof(self.trees[fork], old, new)) if old else ()

    def request(self, fork: int, old: int, new: int, proof_fork: int | None = None) -> bytes:
        """An add-checkpoint body for ``fork`` at ``new``, with the proof from ``old`` taken
        from ``proof_fork`` (by default the same fork: an honest proof)."""
        proof = self.proof(fork if proof_fork is None else proof_fork, old, new)
        return AddCheckpoint(old, proof, self.note(fork, new)).encode()
