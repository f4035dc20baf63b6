"""Offline proof checking: an auditor with a proof file, a checkpoint and a key, no node.

A proof holds every log entry that touched a document, each with its inclusion proof
against one signed checkpoint, the ledger certificates that signed them and, for a
document anchored in a batch, the path from the document to the batch's Merkle root.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from identity.certificates import organisation_of, public_key_of
from identity.tx_keys import TxVerifier
from ledger.signed_tx import MalformedTransactionError, parse
from ledger.tlog import checkpoint, merkle


@dataclass
class ProofResult:
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def passed(self, text: str) -> None:
        self.lines.append(f"pass  {text}")

    def failed(self, text: str) -> None:
        self.ok = False
        self.lines.append(f"FAIL  {text}")

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": self.lines}


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _mentions(tx: dict[str, Any], doc_id: str) -> bool:
    return doc_id in (tx.get("doc"), tx.get("newDoc")) or doc_id in tx.get("digests", ())


def check(proof: dict[str, Any], trusted_note: str, verifier_key: str) -> ProofResult:
    result = ProofResult()
    try:
        trusted = checkpoint.open_note(trusted_note, verifier_key)
        doc_id = str(proof["document"])
        claimed = checkpoint.open_note(str(proof["checkpoint"]), verifier_key)
    except (checkpoint.CheckpointError, KeyError, TypeError) as exc:
        result.failed(f"checkpoint: {exc}")
        return result
    if claimed != trusted:
        result.failed(
            f"the proof is for tree size {claimed.size}; your checkpoint is for {trusted.size}"
        )
        return result
    result.passed(f"checkpoint {trusted.origin} size {trusted.size} signed by the given key")
    certificates: dict[str, x509.Certificate] = {}
    for kid, der in proof.get("certificates", {}).items():
        certificates[kid] = x509.load_der_x509_certificate(base64.b64decode(der))
    entries = proof.get("entries") or []
    if not entries:
        result.failed("the proof has no entries")
    for item in entries:
        _check_entry(item, doc_id, trusted, certificates, proof.get("batch"), result)
    return result


def _check_entry(
    item: dict[str, Any],
    doc_id: str,
    cp: checkpoint.Checkpoint,
    certificates: dict[str, x509.Certificate],
    batch: dict[str, Any] | None,
    result: ProofResult,
) -> None:
    try:
        index = int(item["index"])
        leaf = base64.b64decode(item["leaf"], validate=True)
        path = _hexes(item["inclusionProof"])
        entry = json.loads(leaf)
        signed = parse(entry["signed"])
    except (KeyError, TypeError, ValueError, binascii.Error, MalformedTransactionError) as exc:
        result.failed(f"entry {item.get('index')}: malformed ({exc})")
        return
    where = f"entry {index}"
    if not merkle.verify_inclusion(merkle.leaf_hash(leaf), index, cp.size, path, cp.root):
        result.failed(f"{where}: not included in the checkpoint")
        return
    if entry.get("index") != index:
        result.failed(f"{where}: the entry records index {entry.get('index')}")
        return
    tx = entry["signed"]["tx"]
    if not _mentions(tx, doc_id):
        result.failed(f"{where}: does not concern {doc_id}")
        return
    cert = certificates.get(signed.kid)
    if cert is None:
        result.failed(f"{where}: no certificate {signed.kid} in the proof")
        return
    if not TxVerifier(public_key_of(cert)).verify(signed.signature, signed.signed_bytes):
        result.failed(f"{where}: the signature does not verify")
        return
    org = organisation_of(cert)
    if org.id != signed.tx.actor:
        result.failed(f"{where}: signed by {org.id}, but names {signed.tx.actor}")
        return
    result.passed(
        f"{where}: {tx['op']} by {org.id} ({org.country}) at {tx['time']}, included and signed "
        f"(certificate {signed.kid[:19]}…, chain not checked offline)"
    )
    if tx["op"] == "ANCHOR_BATCH":
        _check_batch(batch, doc_id, str(tx.get("doc")), where, result)


def _check_batch(
    batch: dict[str, Any] | None, doc_id: str, root: str, where: str, result: ProofResult
) -> None:
    if batch is None or batch.get("root") != root:
        result.failed(f"{where}: a batch entry, but the proof has no path to its root")
        return
    ok = merkle.verify_inclusion(
        merkle.leaf_hash(doc_id.encode()),
        int(batch["position"]),
        int(batch["size"]),
        _hexes(batch["inclusionProof"]),
        bytes.fromhex(root.removeprefix("sha256:")),
    )
    if ok:
        result.passed(
            f"{where}: the document is item {batch['position']} of the batch's Merkle root"
        )
    else:
        result.failed(f"{where}: the document is not in the batch")


__all__ = ["ProofResult", "check"]
