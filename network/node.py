"""The composition root: a node built from its home (identity + ledger + document store),
and the operations the faces (CLI, later HTTP) call.

The node turns a request into a signed transaction and submits it; the chaincode decides.
Nothing here re-implements a rule.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from chaincode.documents.registry import DocumentKind, ValidDocument, validate_document
from chaincode.facts import PartyRef, facts_of
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import DocState, DocumentRecord
from chaincode.transactions import Op, Transaction
from identity.certificates import Purpose, fingerprint
from identity.checks import Check, Report
from identity.tx_keys import TxSigner
from ledger.embedded import CheckpointSigner, EmbeddedLedger, Inclusion
from ledger.evm import EvmLedger
from ledger.interface import Receipt
from ledger.signed_tx import SignedTx, sign
from ledger.tlog import checkpoint, merkle
from network import signed_document
from network.evm import home as evm_home
from network.home import Home
from network.identities import HomeIdentities
from network.store import DocumentStore
from network.verifier import Verifier

if TYPE_CHECKING:  # imported only on that engine: grpc and the Fabric stubs are heavy
    from ledger.fabric.engine import FabricLedger


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Issued:
    document: ValidDocument
    receipt: Receipt


class Node:
    def __init__(
        self,
        home: Home,
        clock: Callable[[], datetime.datetime] = _utcnow,
        engine: Literal["embedded", "evm", "fabric"] = "embedded",
        rpc: str | None = None,
    ) -> None:
        """``engine="evm"`` runs on the contract recorded in the home's ``evm.json`` (see
        ``network.evm.home.deploy``), at ``rpc`` if given, else at the recorded URL."""
        self.home = home
        self.clock = clock
        self.engine = engine
        self.trust_list = home.trust_list()
        self.revocation_lists = home.revocation_lists()
        self.identities = HomeIdentities(home, self.trust_list, self.revocation_lists)
        origin = home.setting("origin")
        key = home.checkpoint_key()
        self.ledger: EmbeddedLedger | EvmLedger | FabricLedger
        if engine == "evm":
            self.ledger = evm_home.open_ledger(home, self.identities, rpc, clock)
        elif engine == "fabric":  # the network and chaincode named in the home's fabric.json
            from network.fabric.engine import open_ledger as open_fabric_ledger

            self.ledger = open_fabric_ledger(home, self.identities, clock)
        else:
            self.ledger = EmbeddedLedger(
                home.path / "ledger.db",
                self.identities,
                CheckpointSigner(
                    origin,
                    origin,
                    lambda cp: checkpoint.sign(cp, origin, key),
                    home.setting("checkpointKey"),
                ),
                clock,
            )
        self.store = DocumentStore(home.path / "store")
        self.verifier = Verifier(self.trust_list, self.revocation_lists)
        self.checkpoint_key = home.setting("checkpointKey")
        self._opened: dict[str, checkpoint.Checkpoint] = {}
        self._signers: dict[str, tuple[str, TxSigner]] = {}
        self._document_signers: dict[str, signed_document.DocumentSigner] = {}

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.ledger.close()

    # --- transactions -------------------------------------------------------------------

    def _signer(self, org_id: str) -> tuple[str, TxSigner]:
        if org_id not in self._signers:
            creds = self.home.credentials(org_id)
            key = self.home.signing_key(org_id, Purpose.LEDGER)
            self._signers[org_id] = (fingerprint(creds.ledger_cert), TxSigner(key))
        return self._signers[org_id]

    def transaction(self, org_id: str, op: Op, **fields: Any) -> SignedTx:
        try:
            tx = Transaction(op=op, actor=org_id, time=self.clock(), **fields)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise Refusal(RefusalKind.INVALID, f"{where}: {first['msg']}") from None
        kid, signer = self._signer(org_id)
        return sign(tx, kid, signer)

    def submit(self, org_id: str, op: Op, **fields: Any) -> Receipt:
        return self.ledger.submit(self.transaction(org_id, op, **fields))

    # --- documents ----------------------------------------------------------------------

    def resolve_party(self, ref: PartyRef | None) -> str | None:
        """The organisation a document's party names: by national id, else by exact name."""
        if ref is None:
            return None
        orgs = list(self.home.organisations())
        for country, value in ref.national_ids:
            for org in orgs:
                if (org.country, org.org_id) == (country, value):
                    return org.id
        wanted = " ".join(ref.name.split()).casefold()
        return next((o.id for o in orgs if " ".join(o.name.split()).casefold() == wanted), None)

    def _facts_fields(self, doc: ValidDocument, links: Sequence[str]) -> dict[str, Any]:
        facts = facts_of(doc)
        fields: dict[str, Any] = {
            "kind": doc.kind,
            "country": facts.country,
            "containers": list(facts.containers),
            "links": list(dict.fromkeys([*facts.links, *links])),
        }
        if doc.kind is DocumentKind.EBL:
            fields["carrier"] = self.resolve_party(facts.carrier)
            fields["toOrder"] = bool(facts.to_order)
        return fields

    def _anchor_new(self, org_id: str, document: ValidDocument, op: Op, **fields: Any) -> Receipt:
        if org_id not in self._document_signers:  # reading the key decrypts it: once
            self._document_signers[org_id] = signed_document.DocumentSigner.of(self.home, org_id)
        envelope = self._document_signers[org_id].sign(document, self.clock())
        created = self.store.put(document.digest, envelope.to_json())
        try:
            return self.submit(org_id, op, **fields)
        except BaseException:
            if created:  # a refused document leaves nothing behind
                self.store.remove(document.digest)
            raise

    def issue(
        self,
        kind: DocumentKind,
        data: bytes,
        org_id: str,
        links: Sequence[str] = (),
        to: str | None = None,
    ) -> Issued:
        doc = validate_document(kind, data)
        fields = self._facts_fields(doc, links)
        if kind is DocumentKind.EBL:
            shipper = self.resolve_party(facts_of(doc).shipper)
            fields["to"] = to or shipper
            if fields["to"] is None:
                raise Refusal(
                    RefusalKind.INVALID,
                    "the eBL's first holder is unknown: its shipper matches no organisation "
                    "(give --to ORG)",
                )
        receipt = self._anchor_new(org_id, doc, Op.ISSUE, doc=doc.digest, **fields)
        return Issued(doc, receipt)

    def supersede(self, op: Op, old_id: str, data: bytes, org_id: str, reason: str) -> Issued:
        old = self.require(old_id)
        doc = validate_document(old.kind, data)
        fields = self._facts_fields(doc, ())
        fields.pop("carrier", None)
        receipt = self._anchor_new(
            org_id, doc, op, doc=old_id, newDoc=doc.digest, reason=reason, **fields
        )
        return Issued(doc, receipt)

    def pickup(self, container: str, org_id: str, by: str | None = None) -> Receipt:
        """Gate-out: the transaction names the eBL the container was released under, so the
        entry belongs to that eBL's history and proofs."""
        right = self.ledger.pickup_right(container)
        return self.submit(
            org_id, Op.PICKUP, container=container, to=by, doc=right.ebl if right else None
        )

    def require(self, doc_id: str) -> DocumentRecord:
        doc = self.ledger.document(doc_id)
        if doc is None:
            raise Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
        return doc

    def status(self, doc_id: str) -> dict[str, Any]:
        doc = self.require(doc_id)
        out: dict[str, Any] = {
            "id": doc.id,
            "kind": doc.kind.value,
            "state": doc.state.value,
            "issuer": doc.issuer,
            "issuedAt": doc.issued_at.isoformat(),
            "historyLength": len(self.ledger.history(doc_id)),
        }
        for key, value in (
            ("holder", doc.holder),
            ("endorsee", doc.endorsee),
            ("supersededBy", doc.superseded_by),
            ("supersedes", doc.supersedes),
            ("batch", doc.batch),
        ):
            if value:
                out[key] = value
        if doc.containers:
            out["containers"] = list(doc.containers)
        links = self.ledger.links(doc_id)
        if links:
            out["links"] = links
        return out

    # --- verification ---------------------------------------------------------------------

    def verify(self, data: bytes) -> Report:
        """The signature checks, then the ledger's: anchored, status, inclusion proof.

        Once anchored, revocation is judged at the anchoring time (the ledger's), not at
        the signing time the signer claims.
        """
        records: dict[str, DocumentRecord | None] = {}
        inclusions: dict[str, Inclusion | None] = {}

        def anchored_at(digest: str) -> datetime.datetime | None:
            if isinstance(self.ledger, EmbeddedLedger):  # the record and its proof at once
                found = self.ledger.document_and_inclusion(digest)
                records[digest] = found[0] if found else None
                inclusions[digest] = found[1] if found else None
            else:
                records[digest] = self.ledger.document(digest)
            record = records[digest]
            return record.issued_at if record else None

        report = self.verifier.verify(data, self.clock(), anchored_at)
        record = next(iter(records.values()), None)
        if record is None:
            reason = "not anchored" if records else "no document to look up"
            report.add(
                Check.failed("anchored", "the document is not on this node's ledger")
                if records
                else Check.not_checked("anchored", reason)
            )
            report.add(Check.not_checked("status", reason))
            report.add(Check.not_checked("inclusion", reason))
            return report
        report.add(
            Check.passed("anchored", f"issued by {record.issuer} at {record.issued_at.isoformat()}")
        )
        report.add(_status_check(record))
        report.add(self._inclusion_check(inclusions.get(record.id)))
        report.facts["state"] = record.state.value
        if record.holder:
            report.facts["holder"] = record.holder
        return report

    def _inclusion_check(self, found: Inclusion | None) -> Check:
        if self.engine == "fabric":
            # No Merkle log on this engine: the state was read from the chaincode on the
            # channel's peers, whose blocks the BFT orderers (3 of 4) signed.
            head = self.ledger.head()  # type: ignore[union-attr]
            return Check.passed(
                "inclusion",
                f"state read from chaincode {head['chaincode']} on the Fabric peers "
                "(no Merkle checkpoint on the fabric engine)",
            )
        if isinstance(self.ledger, EvmLedger):
            # No Merkle log on this engine: the state was read from the contract, whose
            # history the chain's consensus (QBFT on Besu; none on anvil) stands behind.
            head = self.ledger.head()
            return Check.passed(
                "inclusion",
                f"state read from contract {head['contract']} on chain {head['chainId']} "
                f"at block {head['block']} (no Merkle checkpoint on the evm engine)",
            )
        if found is None:
            return Check.failed("inclusion", "the ledger holds no log entry for the document")
        index, leaf, path, note = found
        try:
            cp = self._opened.get(note) or checkpoint.open_note(note, self.checkpoint_key)
        except checkpoint.CheckpointError as exc:
            return Check.failed("inclusion", f"checkpoint: {exc}")
        # The latest checkpoint is verified once, not on every request.
        self._opened = {note: cp}
        if not merkle.verify_inclusion(merkle.leaf_hash(leaf), index, cp.size, path, cp.root):
            return Check.failed("inclusion", f"entry {index} is not in checkpoint {cp.size}")
        return Check.passed(
            "inclusion", f"entry {index} proven in the signed checkpoint of size {cp.size}"
        )


def _status_check(record: DocumentRecord) -> Check:
    live = {
        DocState.ISSUED,
        DocState.PENDING_SURRENDER_FOR_DELIVERY,
        DocState.PENDING_SURRENDER_FOR_AMENDMENT,
        DocState.SURRENDERED_FOR_DELIVERY,
    }
    if record.state in live:
        holder = f", held by {record.holder}" if record.holder else ""
        return Check.passed("status", f"{record.state.value}{holder}")
    successor = f" by {record.superseded_by}" if record.superseded_by else ""
    return Check.failed("status", f"{record.state.value}{successor}")


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
