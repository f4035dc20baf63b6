"""Re-checking an embedded log from its stored bytes, as an auditor would.

Every entry: index, hash chain, canonical form, transaction signature (against the trust
list at the transaction's time) and the Merkle nodes it completes. Every checkpoint: its
signature, its root against the log, and its consistency with the one before. Problems
are named by entry or checkpoint, first to last.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from chaincode.canonical import canonical_bytes
from chaincode.lifecycle import Refusal
from ledger.embedded.entries import GENESIS_PREV, NodeTable, entry_hash
from ledger.interface import Identities, LogCheck
from ledger.signed_tx import MalformedTransactionError, parse
from ledger.tlog import checkpoint, merkle


def audit_log(
    db: sqlite3.Connection,
    identities: Identities,
    checkpoint_key: str,
    progress: Callable[[int, int], None] | None = None,
) -> LogCheck:
    """Re-check every entry (index, hash chain, signature, Merkle nodes) and every
    checkpoint (signature, root, consistency with the one before)."""
    problems: list[str] = []
    signatures = 0
    total = int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    store = merkle.MemoryNodeStore()
    stored = NodeTable(db)
    prev = GENESIS_PREV
    expected = 0
    for index, leaf_blob in db.execute("SELECT idx, leaf FROM entries ORDER BY idx"):
        # A tampered row may hold TEXT rather than a BLOB; judge its bytes anyway.
        leaf = leaf_blob.encode() if isinstance(leaf_blob, str) else bytes(leaf_blob)
        where = f"entry {index}"
        if index != expected:
            problems.append(f"{where}: expected index {expected}")
            expected = index
        try:
            entry = json.loads(leaf)
            if entry.get("index") != index:
                problems.append(f"{where}: records index {entry.get('index')}")
            if entry.get("prev") != prev:
                problems.append(f"{where}: hash chain broken (prev does not match)")
            if canonical_bytes(entry) != leaf:
                problems.append(f"{where}: not in canonical form")
            problems.extend(_check_signature(identities, entry, where))
            signatures += 1
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where}: unreadable ({exc})")
        for level, idx, h in merkle.append_nodes(index, merkle.leaf_hash(leaf), store.get):
            store.put(level, idx, h)
            try:
                if stored.get(level, idx) != h:
                    problems.append(f"{where}: Merkle node ({level}, {idx}) does not match")
            except LookupError:
                problems.append(f"{where}: Merkle node ({level}, {idx}) is missing")
        prev = entry_hash(leaf)
        expected += 1
        if progress is not None and expected % 10_000 == 0:
            progress(expected, total)
    checkpoints = 0
    previous: checkpoint.Checkpoint | None = None
    for size, note in db.execute("SELECT size, note FROM checkpoints ORDER BY size"):
        checkpoints += 1
        try:
            cp = checkpoint.open_note(note, checkpoint_key)
        except checkpoint.CheckpointError as exc:
            problems.append(f"checkpoint {size}: {exc}")
            continue
        if cp.size != size or cp.size > expected:
            problems.append(f"checkpoint {size}: size does not match the log")
            continue
        if cp.root != merkle.root(store, cp.size):
            problems.append(f"checkpoint {size}: root does not match the log")
        if previous is not None and not merkle.verify_consistency(
            previous.size,
            cp.size,
            previous.root,
            cp.root,
            merkle.consistency_proof(store, previous.size, cp.size),
        ):
            problems.append(f"checkpoint {size}: not consistent with {previous.size}")
        previous = cp
    return LogCheck(expected, checkpoints, signatures, problems)


def _check_signature(identities: Identities, entry: dict[str, Any], where: str) -> list[str]:
    try:
        signed = parse(entry["signed"])
    except MalformedTransactionError as exc:
        return [f"{where}: malformed transaction ({exc})"]
    try:
        _, verifier = identities.authenticate(signed.tx.actor, signed.kid, signed.tx.time)
    except Refusal as refusal:
        return [f"{where}: signer not trusted ({refusal.rule})"]
    if not verifier.verify(signed.signature, signed.signed_bytes):
        return [f"{where}: signature does not verify"]
    return []
