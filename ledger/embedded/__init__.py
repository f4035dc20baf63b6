"""The embedded ledger engine: SQLite in WAL mode with a durable group commit, whose entries
form a hash-chained RFC 9162 Merkle log with signed checkpoints. It needs nothing but pip,
and it is the default engine of a node.
"""

from ledger.embedded.engine import EmbeddedLedger
from ledger.embedded.evidence_reads import Inclusion
from ledger.embedded.group_commit import CheckpointSigner

__all__ = ["CheckpointSigner", "EmbeddedLedger", "Inclusion"]
