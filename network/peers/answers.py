"""The answer to a verification query (联网核查), ``tdx-verification-answer/1``: written and
signed by the issuing country's node, and checked part by part by the node that asked.

The answer is a JWS (``typ`` ``tdx-peer-answer+jws``, EdDSA) by the answering node's key,
its ``x5c`` the node certificate and its root; the payload, in RFC 8785 form, repeats the
question (digest, issuer, the size of the checkpoint the asker holds, the request's
signature nonce), and gives the status (issued, amended, replaced, revoked or unknown),
the record (issuer, kind, ledger time, state), the node's latest signed checkpoint, the
inclusion proof of the record's first log entry in it, and the RFC 9162 consistency proof
from the asker's checkpoint to it.

The asker believes it only if every part holds, in this order: ``signature``,
``certificate`` (the very node it asked, a node certificate of that country's root on its
trust list), ``question`` (the answer is to this question, this nonce), ``checkpoint``
(signed by that node's checkpoint key, of its log), ``inclusion`` (the leaf is proven in the
checkpoint, and is a log entry about this digest by the record's issuer at the record's
time) and ``consistency`` (the checkpoint extends the last one it holds from that node).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography import x509

from chaincode.canonical import canonical_bytes
from chaincode.documents.registry import DocumentKind
from chaincode.records import DocState
from identity import jws
from identity.certificates import fingerprint
from identity.keys import PrivateKey
from ledger.evidence import BlockRead, ChannelRead, Evidence, MerkleInclusion, PeerInclusion
from ledger.tlog import checkpoint, merkle
from network.network_folder import NodeDescriptor

FORMAT = "tdx-verification-answer/1"
JWS_TYPE = "tdx-peer-answer+jws"
ALGORITHMS = frozenset({jws.EDDSA})

# What a ledger state means to a verifier abroad.
STATUS_OF = {
    DocState.ISSUED: "issued",
    DocState.PENDING_SURRENDER_FOR_DELIVERY: "issued",
    DocState.PENDING_SURRENDER_FOR_AMENDMENT: "issued",
    DocState.SURRENDERED_FOR_DELIVERY: "issued",
    DocState.AMENDED: "amended",
    DocState.SURRENDERED_FOR_AMENDMENT: "amended",
    DocState.REPLACED: "replaced",
    DocState.REVOKED: "revoked",
    DocState.VOIDED: "revoked",
}
STATUSES = ("issued", "amended", "replaced", "revoked", "unknown")


@dataclass(frozen=True)
class Question:
    digest: str
    issuer: str | None
    known_size: int | None
    nonce: str

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "issuer": self.issuer,
            "knownSize": self.known_size,
            "nonce": self.nonce,
        }


@dataclass(frozen=True)
class Held:
    """The last checkpoint an asker holds from a node: its size and root."""

    size: int
    root: bytes


# Opening a signed checkpoint (its signature by the node's checkpoint key) is a pure
# function of the note and the key, and a node's answers name the same latest checkpoint
# until its next commit: the opened checkpoint is kept (bounded). Failures are not kept.
@functools.lru_cache(maxsize=256)
def _opened(note: str, verifier_key: str) -> checkpoint.Checkpoint:
    return checkpoint.open_note(note, verifier_key)


def _time(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat()


def write_answer(
    question: Question,
    country: str,
    origin: str,
    evidence: Evidence | None,
    latest_checkpoint: str,
    consistency: Callable[[int, int], list[bytes]] | None,
    now: datetime.datetime,
) -> dict[str, Any]:
    """The answer's payload (the answering node's side). ``evidence`` is the ledger's for
    the digest (None: unknown); its inclusion proof is against ``evidence``'s checkpoint,
    else ``latest_checkpoint`` is the one named."""
    record: dict[str, Any] | None = None
    inclusion: dict[str, Any] | None = None
    note = latest_checkpoint
    block: dict[str, Any] | None = None
    status = "unknown"
    if evidence is not None and evidence.digest == question.digest:
        status = STATUS_OF.get(evidence.state, "revoked")
        record = {
            "issuer": evidence.issuer,
            "kind": evidence.kind.value,
            "ledgerTime": _time(evidence.time),
            "state": evidence.state.value,
            "holder": evidence.holder,
            "supersededBy": evidence.superseded_by,
        }
        proof = evidence.proof
        if isinstance(proof, MerkleInclusion):
            note = proof.checkpoint
            inclusion = {
                "index": proof.index,
                "leaf": base64.b64encode(proof.leaf).decode(),
                "path": [p.hex() for p in proof.path],
            }
        elif proof is not None and hasattr(proof, "block"):
            block = {k: str(v) for k, v in vars(proof).items()}
    out: dict[str, Any] = {
        "format": FORMAT,
        "country": country,
        "origin": origin,
        "question": question.to_json(),
        "answeredAt": _time(now),
        "status": status,
        "record": record,
        "checkpoint": note if consistency is not None else None,
        "inclusion": inclusion,
        "consistency": None,
        "block": block,
    }
    if consistency is not None and question.known_size is not None:
        size = int(note.split("\n")[1])  # the answering node's own note
        if question.known_size <= size:
            out["consistency"] = {
                "fromSize": question.known_size,
                "proof": [p.hex() for p in consistency(question.known_size, size)],
            }
    return out


class AnswerSigner:
    """Signs a node's answers: its key and chain, the JWS header encoded once."""

    def __init__(self, key: PrivateKey, chain: list[x509.Certificate]) -> None:
        self._jws = jws.ChainSigner(key, chain, JWS_TYPE)

    def sign(self, payload: dict[str, Any]) -> str:
        # RFC 8785 bytes by chaincode.canonical: orjson's where they are the same as
        # rfc8785's (held equal by its property test), a fifth of the answer's cost otherwise.
        return self._jws.sign(canonical_bytes(payload))


def sign_answer(payload: dict[str, Any], key: PrivateKey, chain: list[x509.Certificate]) -> str:
    """One answer signed (``AnswerSigner`` for many)."""
    return AnswerSigner(key, chain).sign(payload)


@dataclass(frozen=True)
class AnswerCheck:
    name: str
    ok: bool
    reason: str


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer taken apart and checked; ``evidence`` only when every check held and the
    answering node has a record of the digest."""

    checks: tuple[AnswerCheck, ...]
    status: str | None
    evidence: Evidence | None
    checkpoint: checkpoint.Checkpoint | None
    payload: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failure(self) -> AnswerCheck | None:
        return next((c for c in self.checks if not c.ok), None)


class _RefusedError(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


def _require(condition: bool, name: str, reason: str) -> None:
    if not condition:
        raise _RefusedError(name, reason)


def _mentions(tx: Any, digest: str) -> bool:
    digests = tx.get("digests", ())
    return digest in (tx.get("doc"), tx.get("newDoc")) or (
        isinstance(digests, list) and digest in digests
    )


def _state_read(block: Any) -> BlockRead | ChannelRead:
    """What a chain-engine node says it read its record from (no checkpoint to prove it
    against: the answer's signature is what stands behind it), or a refused answer."""
    _require(isinstance(block, dict), "inclusion", "no checkpoint and no block")
    try:
        if "chain_id" in block:
            return BlockRead(
                int(block["chain_id"]),
                str(block["contract"]),
                int(block["block"]),
                str(block["block_hash"]),
            )
        return ChannelRead(str(block["channel"]), str(block["chaincode"]), int(block["height"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _RefusedError("inclusion", f"the block read is malformed: {exc!r}") from None


class _Checker:
    def __init__(
        self,
        token: str,
        question: Question,
        node: NodeDescriptor,
        judge: Callable[[x509.Certificate], tuple[str | None, str]],
        held: Held | None,
    ) -> None:
        self.token = token
        self.question = question
        self.node = node
        self.judge = judge
        self.held = held
        self.checks: list[AnswerCheck] = []
        self.payload: dict[str, Any] | None = None
        self.cp: checkpoint.Checkpoint | None = None
        self.evidence: Evidence | None = None

    def passed(self, name: str, reason: str) -> None:
        self.checks.append(AnswerCheck(name, True, reason))

    def run(self) -> None:
        payload = self._signature_and_certificate()
        self._question(payload)
        self._checkpoint(payload)
        self._inclusion(payload)
        self._consistency(payload)

    def _signature_and_certificate(self) -> dict[str, Any]:
        try:
            verified = jws.verify(self.token, ALGORITHMS, JWS_TYPE)
            payload = orjson.loads(verified.payload)  # strict JSON (no NaN), 5x json's speed
        except jws.JwsError as exc:
            raise _RefusedError("signature", str(exc)) from None
        except ValueError:
            raise _RefusedError("signature", "the signed answer is not JSON") from None
        _require(isinstance(payload, dict), "signature", "the signed answer is not an object")
        self.passed("signature", "EdDSA signature verifies with the x5c node certificate")
        leaf = verified.chain[0]
        if leaf != self.node.certificate:  # by DER: the very certificate its descriptor pins
            raise _RefusedError(
                "certificate",
                f"signed by {fingerprint(leaf)}, not the {self.node.country} node "
                f"({self.node.fingerprint})",
            )
        country, reason = self.judge(leaf)
        _require(country == self.node.country, "certificate", reason)
        self.passed("certificate", reason)
        self.payload = payload
        return dict(payload)

    def _question(self, payload: dict[str, Any]) -> None:
        _require(payload.get("format") == FORMAT, "question", f"not a {FORMAT} answer")
        _require(
            payload.get("question") == self.question.to_json(),
            "question",
            "the answer is to another question (digest, issuer, known size or nonce differ)",
        )
        _require(
            payload.get("country") == self.node.country
            and payload.get("origin") == self.node.origin,
            "question",
            f"the answer names {payload.get('country')}/{payload.get('origin')}, not the "
            f"{self.node.country} node's log {self.node.origin}",
        )
        status = payload.get("status")
        _require(status in STATUSES, "question", f"unknown status {status!r}")
        self.passed("question", f"the answer to this query (nonce {self.question.nonce})")

    def _checkpoint(self, payload: dict[str, Any]) -> None:
        note = payload.get("checkpoint")
        if note is None:
            return  # a node on a chain: no checkpoint (see _inclusion)
        try:
            cp = _opened(str(note), self.node.checkpoint_key)
        except checkpoint.CheckpointError as exc:
            raise _RefusedError("checkpoint", str(exc)) from None
        _require(
            cp.origin == self.node.origin,
            "checkpoint",
            f"a checkpoint of log {cp.origin}, not {self.node.origin}",
        )
        self.cp = cp
        self.passed(
            "checkpoint", f"signed by the {self.node.country} node's checkpoint key, size {cp.size}"
        )

    def _record(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        record = payload.get("record")
        if payload["status"] == "unknown":
            _require(record is None, "question", "an unknown document with a record")
            return None
        _require(isinstance(record, dict), "question", "the answer has no record")
        assert isinstance(record, dict)
        return record

    def _inclusion(self, payload: dict[str, Any]) -> None:
        record = self._record(payload)
        if record is None:
            return
        try:
            kind = DocumentKind(record["kind"])
            state = DocState(record["state"])
            issuer = str(record["issuer"])
            at = datetime.datetime.fromisoformat(str(record["ledgerTime"]))
        except (KeyError, ValueError) as exc:
            raise _RefusedError("question", f"the record is malformed: {exc}") from None
        _require(
            self.question.issuer is None or issuer == self.question.issuer,
            "question",
            f"the record is {issuer}'s, not {self.question.issuer}'s",
        )
        if self.cp is None:
            read = _state_read(payload.get("block"))
            where = (
                f"its contract at block {read.block}"
                if isinstance(read, BlockRead)
                else f"its chaincode on channel {read.channel} at height {read.height}"
            )
            self.passed(
                "inclusion",
                f"no checkpoint on the {self.node.country} node's chain engine: it read {where}",
            )
            self._evidence(record, kind, state, issuer, at, read)
            return
        inclusion = payload.get("inclusion")
        _require(isinstance(inclusion, dict), "inclusion", "a record without an inclusion proof")
        assert isinstance(inclusion, dict)
        try:
            index = int(inclusion["index"])
            leaf = base64.b64decode(str(inclusion["leaf"]), validate=True)
            path = tuple(bytes.fromhex(str(h)) for h in inclusion["path"])
            entry = json.loads(leaf)
            tx = entry["signed"]["tx"]
            tx_time = datetime.datetime.fromisoformat(str(tx["time"]))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise _RefusedError("inclusion", f"the inclusion proof is malformed: {exc!r}") from None
        _require(
            merkle.verify_inclusion(
                merkle.leaf_hash(leaf), index, self.cp.size, path, self.cp.root
            ),
            "inclusion",
            f"entry {index} is not proven in the checkpoint of size {self.cp.size}",
        )
        _require(
            entry.get("index") == index and _mentions(tx, self.question.digest),
            "inclusion",
            f"entry {index} is not about {self.question.digest}",
        )
        _require(
            tx.get("actor") == issuer and tx_time == at,
            "inclusion",
            f"entry {index} was made by {tx.get('actor')} at {tx.get('time')}, not by the "
            f"record's issuer {issuer} at {at.isoformat()}",
        )
        self.passed("inclusion", f"entry {index} proven in the checkpoint of size {self.cp.size}")
        proof = PeerInclusion(
            self.node.country,
            MerkleInclusion(index, leaf, path, str(payload["checkpoint"])),
            self.node.checkpoint_key,
        )
        self._evidence(record, kind, state, issuer, at, proof)

    def _evidence(
        self,
        record: dict[str, Any],
        kind: DocumentKind,
        state: DocState,
        issuer: str,
        at: datetime.datetime,
        proof: PeerInclusion | BlockRead | ChannelRead,
    ) -> None:
        holder, successor = record.get("holder"), record.get("supersededBy")
        self.evidence = Evidence(
            self.question.digest,
            issuer,
            kind,
            at,
            state,
            str(holder) if holder else None,
            str(successor) if successor else None,
            proof,
        )

    def _consistency(self, payload: dict[str, Any]) -> None:
        if self.cp is None:
            return
        held, cp = self.held, self.cp
        if held is None:
            self.passed("consistency", f"the first checkpoint held from this node (size {cp.size})")
            return
        _require(
            cp.size >= held.size,
            "consistency",
            f"the checkpoint of size {cp.size} is older than the one held (size {held.size}): "
            "the log went back",
        )
        given = payload.get("consistency")
        proof: list[bytes] = []
        if cp.size > held.size:
            _require(
                isinstance(given, dict) and given.get("fromSize") == held.size,
                "consistency",
                f"no consistency proof from the held size {held.size}",
            )
            assert isinstance(given, dict)
            try:
                proof = [bytes.fromhex(str(h)) for h in given["proof"]]
            except (KeyError, TypeError, ValueError):
                raise _RefusedError("consistency", "the consistency proof is malformed") from None
        _require(
            merkle.verify_consistency(held.size, cp.size, held.root, cp.root, proof),
            "consistency",
            f"the checkpoint of size {cp.size} is not consistent with the one held (size "
            f"{held.size}): two histories",
        )
        self.passed("consistency", f"extends the checkpoint held (size {held.size} to {cp.size})")


def check_answer(
    token: str,
    question: Question,
    node: NodeDescriptor,
    judge: Callable[[x509.Certificate], tuple[str | None, str]],
    held: Held | None,
) -> CheckedAnswer:
    """Check every part of a signed answer from ``node`` to ``question``; ``held`` is the
    last checkpoint the asker holds from that node (captured when it asked)."""
    checker = _Checker(token, question, node, judge, held)
    try:
        checker.run()
    except _RefusedError as refused:
        checker.checks.append(AnswerCheck(refused.name, False, refused.reason))
        return CheckedAnswer(tuple(checker.checks), None, None, None, checker.payload)
    assert checker.payload is not None
    return CheckedAnswer(
        tuple(checker.checks),
        str(checker.payload["status"]),
        checker.evidence,
        checker.cp,
        checker.payload,
    )


__all__ = [
    "FORMAT",
    "JWS_TYPE",
    "STATUSES",
    "AnswerCheck",
    "AnswerSigner",
    "CheckedAnswer",
    "Held",
    "Question",
    "check_answer",
    "sign_answer",
    "write_answer",
]
