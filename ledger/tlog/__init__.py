"""The transparency log: RFC 9162 Merkle trees with inclusion and consistency proofs, C2SP
signed-note checkpoints, and the offline checker of proof bundles. Pure hashing and
signatures, with no storage of its own, so every engine and every auditor uses the same code.
"""
