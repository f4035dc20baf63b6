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
from dataclasses import dataclass, field
from typing import Any

from chaincode.canonical import canonical_bytes
from chaincode.lifecycle import Refusal
from identity.checks import Check, CheckName, Report
from ledger.embedded.entries import GENESIS_PREV, NodeTable, entry_hash
from ledger.interface import Identities, LogCheck, LogFacts
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
    store = merkle.MemoryNodeStore()
    entries = _audit_entries(db, identities, store, progress)
    checkpoints = _audit_checkpoints(db, checkpoint_key, store, entries.count)
    checks = [Check.failed(CheckName.ENTRY, p) for p in entries.problems]
    if not entries.problems:
        checks.append(
            Check.passed(
                CheckName.ENTRY,
                f"{entries.count} entries: index, hash chain, canonical form, transaction "
                f"signature and Merkle nodes of each",
            )
        )
    checks += [Check.failed(CheckName.CHECKPOINT, p) for p in checkpoints.problems]
    if not checkpoints.problems:
        checks.append(
            Check.passed(
                CheckName.CHECKPOINT,
                f"{checkpoints.count} checkpoints: signature, root, consistency of each",
            )
        )
    return Report(tuple(checks), LogFacts(entries.count, checkpoints.count, entries.signatures))


@dataclass
class _Tally:
    count: int = 0
    signatures: int = 0
    problems: list[str] = field(default_factory=list)


def _audit_entries(
    db: sqlite3.Connection,
    identities: Identities,
    store: merkle.MemoryNodeStore,
    progress: Callable[[int, int], None] | None,
) -> _Tally:
    """Every entry in index order; ``store`` is left holding the log's Merkle tree."""
    tally = _Tally()
    total = int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    stored = NodeTable(db)
    prev = GENESIS_PREV
    for index, leaf_blob in db.execute("SELECT idx, leaf FROM entries ORDER BY idx"):
        # A tampered row may hold TEXT rather than a BLOB; judge its bytes anyway.
        leaf = leaf_blob.encode() if isinstance(leaf_blob, str) else bytes(leaf_blob)
        where = f"entry {index}"
        if index != tally.count:
            tally.problems.append(f"{where}: expected index {tally.count}")
            tally.count = index
        problems, readable = _check_entry(identities, leaf, index, prev, where)
        tally.problems += problems
        tally.signatures += readable
        for level, idx, h in merkle.append_nodes(index, merkle.leaf_hash(leaf), store.get):
            store.put(level, idx, h)
            try:
                if stored.get(level, idx) != h:
                    tally.problems.append(f"{where}: Merkle node ({level}, {idx}) does not match")
            except LookupError:
                tally.problems.append(f"{where}: Merkle node ({level}, {idx}) is missing")
        prev = entry_hash(leaf)
        tally.count += 1
        if progress is not None and tally.count % 10_000 == 0:
            progress(tally.count, total)
    return tally


def _check_entry(
    identities: Identities, leaf: bytes, index: int, prev: str, where: str
) -> tuple[list[str], bool]:
    """The entry's problems, and whether it could be read far enough to check its
    signature."""
    try:
        entry = json.loads(leaf)
        problems = []
        if entry.get("index") != index:
            problems.append(f"{where}: records index {entry.get('index')}")
        if entry.get("prev") != prev:
            problems.append(f"{where}: hash chain broken (prev does not match)")
        if canonical_bytes(entry) != leaf:
            problems.append(f"{where}: not in canonical form")
        return problems + _check_signature(identities, entry, where), True
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return [f"{where}: unreadable ({exc})"], False


def _audit_checkpoints(
    db: sqlite3.Connection, checkpoint_key: str, store: merkle.MemoryNodeStore, size: int
) -> _Tally:
    tally = _Tally()
    previous: checkpoint.Checkpoint | None = None
    for cp_size, note in db.execute("SELECT size, note FROM checkpoints ORDER BY size"):
        tally.count += 1
        try:
            cp = checkpoint.open_note(note, checkpoint_key)
        except checkpoint.CheckpointError as exc:
            tally.problems.append(f"checkpoint {cp_size}: {exc}")
            continue
        if cp.size != cp_size or cp.size > size:
            tally.problems.append(f"checkpoint {cp_size}: size does not match the log")
            continue
        if cp.root != merkle.root(store, cp.size):
            tally.problems.append(f"checkpoint {cp_size}: root does not match the log")
        if previous is not None and not merkle.verify_consistency(
            previous.size,
            cp.size,
            previous.root,
            cp.root,
            merkle.consistency_proof(store, previous.size, cp.size),
        ):
            tally.problems.append(f"checkpoint {cp_size}: not consistent with {previous.size}")
        previous = cp
    return tally


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
