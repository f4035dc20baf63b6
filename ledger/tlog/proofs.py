"""Offline proof checking: an auditor with a proof file, a checkpoint and a key, no node.

A proof holds every log entry that touched a document, each with its inclusion proof
against one signed checkpoint, the ledger certificates that signed them and, for a
document anchored in a batch, the path from the document to the batch's Merkle root.

The result is the same ``identity.checks.Report`` every verification returns: one
``checkpoint`` check, one ``entry`` check per entry, one ``batch`` check for a batch. Any
input gives a report: a malformed bundle fails the check that met it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from identity.certificates import CertificateProfileError, organisation_of, public_key_of
from identity.checks import Check, CheckName, Report
from identity.tx_keys import TxVerifier
from ledger.signed_tx import MalformedTransactionError, parse
from ledger.tlog import checkpoint, merkle

# What malformed input can raise on its way through the checks below.
_MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    binascii.Error,
    MalformedTransactionError,
    CertificateProfileError,
    UnsupportedAlgorithm,
)


@dataclass(frozen=True)
class ProofFacts:
    document: str | None
    tree_size: int | None
    entries: int

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "treeSize": self.tree_size, "entries": self.entries}


ProofReport = Report[ProofFacts]


class _EntryFaultError(Exception):
    """An entry that fails; the message says why."""


def _hexes(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise TypeError("an inclusion proof is a list of hex strings")
    return [bytes.fromhex(v) for v in values]


def _mentions(tx: Mapping[str, Any], doc_id: str) -> bool:
    digests = tx.get("digests", ())
    return doc_id in (tx.get("doc"), tx.get("newDoc")) or (
        isinstance(digests, list) and doc_id in digests
    )


def check(proof: Any, trusted_note: str, verifier_key: str) -> ProofReport:
    """Check a proof bundle against a checkpoint the auditor trusts, signed by ``key``."""
    doc_id = proof.get("document") if isinstance(proof, dict) else None
    doc_id = doc_id if isinstance(doc_id, str) else None
    try:
        trusted = checkpoint.open_note(trusted_note, verifier_key)
        if not isinstance(proof, dict) or doc_id is None:
            raise TypeError("the proof is not a tdx-proof/1 object naming its document")
        claimed = checkpoint.open_note(str(proof["checkpoint"]), verifier_key)
    except (checkpoint.CheckpointError, *_MALFORMED) as exc:
        failed = Check.failed(CheckName.CHECKPOINT, f"checkpoint: {exc}")
        return Report((failed,), ProofFacts(doc_id, None, 0))
    if claimed != trusted:
        failed = Check.failed(
            CheckName.CHECKPOINT,
            f"the proof is for tree size {claimed.size}; your checkpoint is for {trusted.size}",
        )
        return Report((failed,), ProofFacts(doc_id, trusted.size, 0))
    checks = [
        Check.passed(
            CheckName.CHECKPOINT,
            f"checkpoint {trusted.origin} size {trusted.size} signed by the given key",
        )
    ]
    entries = proof.get("entries")
    if not isinstance(entries, list) or not entries:
        checks.append(Check.failed(CheckName.ENTRY, "the proof has no entries"))
        entries = []
    certificates = proof.get("certificates")
    for item in entries:
        checks += _entry_checks(
            item, doc_id, trusted, certificates if isinstance(certificates, dict) else {}, proof
        )
    return Report(tuple(checks), ProofFacts(doc_id, trusted.size, len(entries)))


def _entry_checks(
    item: Any,
    doc_id: str,
    cp: checkpoint.Checkpoint,
    certificates: Mapping[str, Any],
    proof: Mapping[str, Any],
) -> list[Check[CheckName]]:
    where = f"entry {item.get('index') if isinstance(item, dict) else '?'}"
    try:
        passed, tx = _check_entry(item, doc_id, cp, certificates)
    except _EntryFaultError as fault:
        return [Check.failed(CheckName.ENTRY, f"{where}: {fault}")]
    except _MALFORMED as exc:
        return [Check.failed(CheckName.ENTRY, f"{where}: malformed ({exc})")]
    checks = [Check.passed(CheckName.ENTRY, passed)]
    if tx.get("op") == "ANCHOR_BATCH":
        checks.append(_check_batch(proof.get("batch"), doc_id, str(tx.get("doc")), where))
    return checks


def _certificate(certificates: Mapping[str, Any], kid: str) -> x509.Certificate:
    der = certificates.get(kid)
    if not isinstance(der, str):
        raise _EntryFaultError(f"no certificate {kid} in the proof")
    return x509.load_der_x509_certificate(base64.b64decode(der, validate=True))


def _check_entry(
    item: Any, doc_id: str, cp: checkpoint.Checkpoint, certificates: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any]]:
    """The entry's pass text and its transaction, or ``_EntryFaultError`` / a malformed error."""
    index = int(item["index"])
    leaf = base64.b64decode(item["leaf"], validate=True)
    path = _hexes(item["inclusionProof"])
    entry = json.loads(leaf)
    signed = parse(entry["signed"])
    if not merkle.verify_inclusion(merkle.leaf_hash(leaf), index, cp.size, path, cp.root):
        raise _EntryFaultError("not included in the checkpoint")
    if entry.get("index") != index:
        raise _EntryFaultError(f"the entry records index {entry.get('index')}")
    tx = entry["signed"]["tx"]
    if not _mentions(tx, doc_id):
        raise _EntryFaultError(f"does not concern {doc_id}")
    cert = _certificate(certificates, signed.kid)
    if not TxVerifier(public_key_of(cert)).verify(signed.signature, signed.signed_bytes):
        raise _EntryFaultError("the signature does not verify")
    org = organisation_of(cert)
    if org.id != signed.tx.actor:
        raise _EntryFaultError(f"signed by {org.id}, but names {signed.tx.actor}")
    return (
        f"entry {index}: {tx['op']} by {org.id} ({org.country}) at {tx['time']}, included and "
        f"signed (certificate {signed.kid[:19]}…, chain not checked offline)",
        tx,
    )


def _check_batch(batch: Any, doc_id: str, root: str, where: str) -> Check[CheckName]:
    if not isinstance(batch, dict) or batch.get("root") != root:
        return Check.failed(
            CheckName.BATCH, f"{where}: a batch entry, but the proof has no path to its root"
        )
    try:
        ok = merkle.verify_inclusion(
            merkle.leaf_hash(doc_id.encode()),
            int(batch["position"]),
            int(batch["size"]),
            _hexes(batch["inclusionProof"]),
            bytes.fromhex(root.removeprefix("sha256:")),
        )
    except _MALFORMED as exc:
        return Check.failed(CheckName.BATCH, f"{where}: malformed batch path ({exc})")
    if ok:
        return Check.passed(
            CheckName.BATCH,
            f"{where}: the document is item {batch['position']} of the batch's Merkle root",
        )
    return Check.failed(CheckName.BATCH, f"{where}: the document is not in the batch")


__all__ = ["ProofFacts", "ProofReport", "check"]
