"""The ``inclusion`` check: what backs the ledger's record, checked for what it is.

On a Merkle log, the record's first entry must be proven in a checkpoint signed with the
policy's key. On a chain, the record was read from the contract's state at a named block:
the check says exactly that (chain, contract, block and its hash), which is what ran; on
Fabric, the channel and chaincode whose state it read. No Merkle proof is claimed where
none was checked.
"""

from __future__ import annotations

from identity.checks import Check, CheckName, Status
from ledger.evidence import BlockRead, ChannelRead, MerkleInclusion, PeerInclusion
from ledger.tlog import checkpoint, merkle


class InclusionCheck:
    def __init__(self, checkpoint_key: str | None) -> None:
        self._key = checkpoint_key
        # The latest checkpoint is verified once, not on every request: its note's text
        # (signature lines included), the key it was verified with, and what it opened to.
        self._opened: tuple[str, str, checkpoint.Checkpoint] | None = None

    def __call__(
        self, proof: MerkleInclusion | BlockRead | ChannelRead | PeerInclusion | None
    ) -> Check[CheckName]:
        if isinstance(proof, PeerInclusion):
            # Another country's node answered: its proof, checked against its checkpoint
            # with the key this node holds for it.
            checked = self._merkle(proof.inclusion, proof.verifier_key)
            return Check(
                checked.name, checked.status, f"{checked.reason} of the {proof.country} node"
            )
        if isinstance(proof, BlockRead):
            return Check.passed(
                CheckName.INCLUSION,
                f"state read from contract {proof.contract} on chain {proof.chain_id} at block "
                f"{proof.block} ({proof.block_hash}); no Merkle checkpoint on this engine, the "
                "chain's consensus stands behind the block",
            )
        if isinstance(proof, ChannelRead):
            return Check.passed(
                CheckName.INCLUSION,
                f"state read from chaincode {proof.chaincode} on channel {proof.channel} (indexed "
                f"to block {proof.height}); no Merkle checkpoint on this engine, the channel's "
                "BFT orderers stand behind its blocks",
            )
        if proof is None:
            return Check.failed(
                CheckName.INCLUSION, "the ledger holds no log entry for the document"
            )
        if self._key is None:
            return Check.not_checked(
                CheckName.INCLUSION, "no checkpoint key to check the inclusion proof against"
            )
        return self._merkle(proof, self._key)

    def _merkle(self, proof: MerkleInclusion, key: str) -> Check[CheckName]:
        opened = self._opened
        if opened is not None and opened[0] == proof.checkpoint and opened[1] == key:
            cp = opened[2]
        else:
            try:
                cp = checkpoint.open_note(proof.checkpoint, key)
            except checkpoint.CheckpointError as exc:
                return Check.failed(CheckName.INCLUSION, f"checkpoint: {exc}")
            self._opened = (proof.checkpoint, key, cp)
        leaf = merkle.leaf_hash(proof.leaf)
        if not merkle.verify_inclusion(leaf, proof.index, cp.size, proof.path, cp.root):
            return Check.failed(
                CheckName.INCLUSION, f"entry {proof.index} is not in checkpoint {cp.size}"
            )
        return Check(
            CheckName.INCLUSION,
            Status.PASS,
            f"entry {proof.index} proven in the signed checkpoint of size {cp.size}",
        )


__all__ = ["InclusionCheck"]
