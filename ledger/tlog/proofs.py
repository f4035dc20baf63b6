"""Offline proof checking: an auditor with a proof bundle and nothing else (no node, no home).

A standalone bundle (``tdx-proof/1``) holds every log entry that touched a document, each
with its inclusion proof against one signed checkpoint and the checkpoint's verifier key,
the ledger certificates that signed the entries, the trust material to judge them (the
signed trust list, the operator key that signed it, the signers' countries' revocation
lists: ``ledger.tlog.proof_trust``) and, for a document anchored in a batch, the path from
the document to the batch's Merkle root.

The keys a bundle carries only make it self-consistent: an auditor who knows the node's
checkpoint key or operator key pins them (``verifier_key``, ``operator_key``), and a bundle
signed under any other key fails. Each check's reason names the key it used.

The result is the same ``identity.checks.Report`` every verification returns: one
``checkpoint`` check, one ``trust-list`` check, then for each entry an ``entry`` check
(inclusion and signature), a ``chain`` check (the signer's certificate to a listed root at the
transaction's time) and a ``revocation`` check, and one ``batch`` check for a batch. Any input
gives a report: a malformed bundle fails the check that met it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
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
from ledger.tlog.proof_trust import Trust, TrustMaterialError, judge_signer, open_trust

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


def _checkpoint(
    proof: Any, trusted_note: str | None, verifier_key: str | None
) -> tuple[checkpoint.Checkpoint, Check[CheckName]]:
    """The bundle's checkpoint, opened with the pinned key (else the bundle's own), and
    equal to the pinned checkpoint if one was given; or a ``CheckpointError``."""
    if not isinstance(proof, dict) or not isinstance(proof.get("document"), str):
        raise TypeError("the proof is not a tdx-proof/1 object naming its document")
    key = proof.get("checkpointKey")
    if not isinstance(key, str):
        raise checkpoint.CheckpointError("the bundle carries no checkpoint key (checkpointKey)")
    if verifier_key is not None and key != verifier_key:
        raise checkpoint.CheckpointError(
            "the bundle's checkpoint key is not the key you gave (--key)"
        )
    claimed = checkpoint.open_note(str(proof["checkpoint"]), key)
    source = "the key you gave" if verifier_key is not None else "the bundle's own key"
    if trusted_note is not None:
        trusted = checkpoint.open_note(trusted_note, key)
        if claimed != trusted:
            raise checkpoint.CheckpointError(
                f"the proof is for tree size {claimed.size}; your checkpoint is for {trusted.size}"
            )
    return claimed, Check.passed(
        CheckName.CHECKPOINT,
        f"checkpoint {claimed.origin} size {claimed.size} signed by {source} "
        f"({'+'.join(key.split('+')[:2])})"
        + ("" if trusted_note is None else ", and equal to the checkpoint you gave"),
    )


def _trust(proof: Any, operator_key: str | None) -> tuple[Trust | None, Check[CheckName]]:
    try:
        trust = open_trust(proof.get("trust"), operator_key)
    except (TrustMaterialError, *_MALFORMED) as exc:
        return None, Check.failed(CheckName.TRUST_LIST, f"trust list: {exc}")
    source = "the operator key you gave" if operator_key is not None else "the bundle's own"
    return trust, Check.passed(
        CheckName.TRUST_LIST,
        f"trust list sequence {trust.store.trust_list.sequence} signed by {source} operator "
        f"key ({trust.operator[:23]}…); revocation lists of "
        f"{', '.join(trust.countries) or 'no country'} signed by their roots",
    )


def check(
    proof: Any,
    trusted_note: str | None = None,
    verifier_key: str | None = None,
    operator_key: str | None = None,
    now: datetime.datetime | None = None,
) -> ProofReport:
    """Check a proof bundle offline. ``trusted_note``: a checkpoint the auditor trusts (the
    bundle's must be the same); ``verifier_key``: the checkpoint key to pin (else the
    bundle's); ``operator_key``: the trust list's signer to pin, PEM (else the bundle's);
    ``now``: when the revocation lists must be current (default: the clock)."""
    doc_id = proof.get("document") if isinstance(proof, dict) else None
    doc_id = doc_id if isinstance(doc_id, str) else None
    try:
        trusted, passed = _checkpoint(proof, trusted_note, verifier_key)
    except (checkpoint.CheckpointError, *_MALFORMED) as exc:
        failed = Check.failed(CheckName.CHECKPOINT, f"checkpoint: {exc}")
        return Report((failed,), ProofFacts(doc_id, None, 0))
    assert doc_id is not None  # _checkpoint checked it
    trust, trust_check = _trust(proof, operator_key)
    checks = [passed, trust_check]
    entries = proof.get("entries")
    if not isinstance(entries, list) or not entries:
        checks.append(Check.failed(CheckName.ENTRY, "the proof has no entries"))
        entries = []
    certificates = proof.get("certificates")
    context = _Context(
        doc_id,
        trusted,
        certificates if isinstance(certificates, dict) else {},
        proof,
        trust,
        now or datetime.datetime.now(datetime.UTC),
    )
    for item in entries:
        checks += _entry_checks(item, context)
    return Report(tuple(checks), ProofFacts(doc_id, trusted.size, len(entries)))


@dataclass(frozen=True)
class _Context:
    doc_id: str
    cp: checkpoint.Checkpoint
    certificates: Mapping[str, Any]
    proof: Mapping[str, Any]
    trust: Trust | None
    now: datetime.datetime


def _entry_checks(item: Any, ctx: _Context) -> list[Check[CheckName]]:
    where = f"entry {item.get('index') if isinstance(item, dict) else '?'}"
    unjudged = [
        Check.not_checked(CheckName.CHAIN, f"{where}: the entry did not hold"),
        Check.not_checked(CheckName.REVOCATION, f"{where}: the entry did not hold"),
    ]
    try:
        passed, tx, cert, at = _check_entry(item, ctx.doc_id, ctx.cp, ctx.certificates)
    except _EntryFaultError as fault:
        return [Check.failed(CheckName.ENTRY, f"{where}: {fault}"), *unjudged]
    except _MALFORMED as exc:
        return [Check.failed(CheckName.ENTRY, f"{where}: malformed ({exc})"), *unjudged]
    checks = [Check.passed(CheckName.ENTRY, passed)]
    if ctx.trust is None:
        checks += [
            Check.not_checked(CheckName.CHAIN, f"{where}: no trusted trust list"),
            Check.not_checked(CheckName.REVOCATION, f"{where}: no trusted trust list"),
        ]
    else:
        checks += judge_signer(ctx.trust, cert, at, ctx.now, where)
    if tx.get("op") == "ANCHOR_BATCH":
        checks.append(_check_batch(ctx.proof.get("batch"), ctx.doc_id, str(tx.get("doc")), where))
    return checks


def _certificate(certificates: Mapping[str, Any], kid: str) -> x509.Certificate:
    der = certificates.get(kid)
    if not isinstance(der, str):
        raise _EntryFaultError(f"no certificate {kid} in the proof")
    return x509.load_der_x509_certificate(base64.b64decode(der, validate=True))


def _check_entry(
    item: Any, doc_id: str, cp: checkpoint.Checkpoint, certificates: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any], x509.Certificate, datetime.datetime]:
    """The entry's pass text, its transaction, its signer's certificate and its time, or
    ``_EntryFaultError`` / a malformed error."""
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
        f"signed (certificate {signed.kid[:19]}…)",
        tx,
        cert,
        signed.tx.time,
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
