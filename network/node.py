"""The node: the one application service that the command line, the HTTP API and every
interop module call.

It is built from its home (identity, trust store, ledger engine, document store) and
configuration passed in as arguments. It turns requests into signed transactions (the
chaincode decides), verifies presented documents through the one pipeline
(``network.verification``), authenticates callers (a bearer token and the replay cache),
and answers reads only as the read policy (``chaincode.read_policy``) allows. It returns
data; the faces render it. Nothing here re-implements a rule.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind, ValidDocument, validate_document
from chaincode.facts import PartyRef, facts_of
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.read_policy import (
    Audience,
    Reader,
    ReadScope,
    may_audit_log,
    may_read_document,
    may_read_holdings,
    require,
)
from chaincode.records import Actor, DocumentRecord
from chaincode.transactions import Op, Transaction
from identity import tokens
from identity.certificates import Purpose
from identity.trust_store import TrustStore, der_fingerprint
from identity.tx_keys import TxSigner
from ledger.evidence import IssueValidation
from ledger.interface import (
    DocumentKeeper,
    HistoryEntry,
    LogCheck,
    ProvableLedger,
    Receipt,
    SignedDocument,
    single,
)
from ledger.signed_tx import SignedTx, sign
from network import signing
from network.audience import Audiences, PartyDirectory
from network.config import LedgerConfig, LedgerEngine, NodeConfig
from network.engines import open_engine
from network.home import Home
from network.identities import HomeIdentities
from network.peers import asking, failpoints
from network.peers.destination import destination_country
from network.peers.http_signatures import SignedBy
from network.peers.inbox import Handler
from network.peers.outbox import Outbox, OutboxSender, Pushed
from network.peers.service import Peers
from network.platforms.oa_format import OaFormat
from network.platforms.pint_format import PintFormat
from network.proof_bundle import standalone
from network.replay import ReplayCache
from network.store import DocumentStore, encode
from network.verification import TDX_ENVELOPE, Format, Pipeline, Policy, Verification, rules

if TYPE_CHECKING:
    from network.platforms.oa_courier import RevocationCourier
    from network.platforms.pint_platform import PintPlatform


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# Operations after which a document is no longer in force.
_ENDS_FORCE = frozenset({Op.REVOKE, Op.AMEND, Op.REPLACE})


class NotOffered(Exception):  # noqa: N818 (an answer: this node's engine lacks it)
    """A capability this node's ledger engine does not have (its type says so)."""

    def __init__(self, capability: str, engine: str) -> None:
        super().__init__(
            f"{capability} is not offered by this node's {engine} ledger: on a chain the "
            "blocks are the log and its consensus protects them (use status, history and trace)"
        )
        self.capability = capability
        self.engine = engine


class AuthenticationError(ValueError):
    """A bearer token the node does not accept; the message says why."""


@dataclass(frozen=True)
class Issued:
    document: ValidDocument
    receipt: Receipt


@dataclass(frozen=True)
class DocumentStatus:
    """A document's record on the ledger, as a reader allowed to see it is shown it."""

    record: DocumentRecord
    history_length: int
    links: tuple[str, ...]


@dataclass(frozen=True)
class CheckpointInfo:
    checkpoint: str
    key: str
    origin: str


class Node:
    def __init__(
        self,
        home: Home,
        clock: Callable[[], datetime.datetime] = _utcnow,
        engine: LedgerEngine | str = LedgerEngine.EMBEDDED,
        rpc: str | None = None,
        audience: str | None = None,
        formats: Sequence[Format] | None = None,
        witnessing: bool = True,
    ) -> None:
        """``engine="evm"`` runs on the contract recorded in the home's ``evm.json`` (see
        ``network.evm.home.deploy``), at ``rpc`` if given, else at the recorded URL.
        ``formats`` are the document formats ``verify`` reads (by default the tdx envelope,
        then a tdx export to OpenAttestation: ``network.platforms.oa_format``).
        ``witnessing``: a served node submits its checkpoints to its witnesses
        (``network.config.NodeConfig.witnessing``)."""
        self.home = home
        self.witnessing = witnessing
        self.clock = clock
        self.trust = TrustStore(home.trust_list(), home.revocation_lists())
        self.identities = HomeIdentities(home, self.trust, clock)
        self._token_chains = tokens.ChainJudgements(self.trust)  # bearer tokens' chains
        opened = open_engine(home, self.identities, LedgerConfig(LedgerEngine(engine), rpc), clock)
        self.engine = opened.name
        self.ledger = opened.ledger
        self.provable: ProvableLedger | None = opened.provable
        # A ledger that keeps each document with its entry (the embedded engine) saves the
        # store's own fsync: one commit covers both.
        self.keeper = self.ledger if isinstance(self.ledger, DocumentKeeper) else None
        self.store = DocumentStore(home.path / "store", self.keeper)
        policy = Policy(self.trust, checkpoint_key=opened.checkpoint_key)
        if formats is None:  # the tdx envelope, an export to OpenAttestation, a PINT envelope
            formats = (
                TDX_ENVELOPE,
                OaFormat(home, self.ledger.document),
                PintFormat(self.pint, self._tdx_signature),
            )
        self.pipeline = Pipeline(policy, formats)
        self.audience = audience or home.setting("origin")
        self.directory = PartyDirectory(lambda: list(home.organisations()))
        self._audiences = Audiences(self.store, self.directory)
        self._signers: dict[str, tuple[str, TxSigner]] = {}
        self._document_signers: dict[str, signing.DocumentSigner] = {}
        self._replay: ReplayCache | None = None
        self._replay_lock = threading.Lock()
        self._pint: PintPlatform | None = None
        self._pint_opened = False
        self._pint_lock = threading.Lock()
        # Other countries' nodes: the outbox (every node has one; a push to a country this
        # home serves itself is a no-op) and, in a country's home, its peers.
        # The countries this home serves (its configuration and roots): read once, not on
        # every issue.
        self._countries = home.countries()
        self.outbox = Outbox(home.path / "outbox.db", self._countries, clock)
        network = home.network()
        self.peers: Peers | None = None
        if network is not None and home.country is not None:
            self.peers = Peers(home, network, clock)
            self.peers.inbox.on("document", self._verify_arrival)
            # Rail advance information: verified and the consignment held on this ledger
            # from start-up, before any rail command runs here (imported late: network.rail
            # is built on this module).
            from network.rail.advance import ADVANCE_INFORMATION
            from network.rail.holding import holding_handler

            self.peers.inbox.on(ADVANCE_INFORMATION, holding_handler(self))
        self._sender: OutboxSender | None = None
        self._courier: RevocationCourier | None = None

    @classmethod
    def open(cls, config: NodeConfig, clock: Callable[[], datetime.datetime] = _utcnow) -> Node:
        return cls(
            Home(config.home),
            clock,
            config.ledger.engine,
            config.ledger.rpc,
            config.audience,
            witnessing=config.witnessing,
        )

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pint is not None:
            self._pint.close()
        self.stop_exchange()
        self.ledger.close()
        if self._replay is not None:
            self._replay.close()
        if self.peers is not None:
            self.peers.close()
        self.outbox.close()

    # --- other platforms ----------------------------------------------------------------

    def pint(self) -> PintPlatform | None:
        """This node as a DCSA PINT platform (``HOME/pint.json``), opened on first use; None
        if it is not one. Its ledger port is this node's ledger (``NodePintLedger``)."""
        with self._pint_lock:
            if not self._pint_opened:
                # Imported here: a node that is no PINT platform never loads PINT.
                from network.platforms.pint_platform import PintPlatform

                self._pint = PintPlatform.open(self)
                self._pint_opened = True
            return self._pint

    def _tdx_signature(self, doc_id: str) -> str | None:
        """The tdx signature (compact JWS) of a document this node stores, if any."""
        stored = self.store.get(doc_id)
        return None if stored is None else envelope_format.parse(stored).signature

    # --- authentication -----------------------------------------------------------------

    def authenticate(self, token: str) -> Actor:
        """The organisation a bearer token speaks for: its signature, its chain (trusted and
        unrevoked now), this node as audience, its times, and a ``jti`` never seen before."""
        now = self.clock()
        try:
            claims = tokens.verify(token, self.trust, self.audience, now, self._token_chains)
        except tokens.TokenError as exc:
            raise AuthenticationError(str(exc)) from None
        if not self._replay_cache().first_use(claims.jti, claims.expires, now):
            raise AuthenticationError("token already used (replayed jti)")
        org = claims.organisation
        return Actor(org.id, org.country, claims.certified_roles)

    def _replay_cache(self) -> ReplayCache:
        with self._replay_lock:
            if self._replay is None:
                self._replay = ReplayCache(self.home.path / "tokens.db")
            return self._replay

    # --- transactions -------------------------------------------------------------------

    def _signer(self, org_id: str) -> tuple[str, TxSigner]:
        if org_id not in self._signers:
            creds = self.home.credentials(org_id)
            key = self.home.signing_key(org_id, Purpose.LEDGER)
            self._signers[org_id] = (der_fingerprint(creds.ledger_cert), TxSigner(key))
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
        receipt = self.ledger.submit(self.transaction(org_id, op, **fields))
        self._after_commit(op, fields.get("doc"))
        return receipt

    def _after_commit(self, op: Op, doc_id: object) -> None:
        if op in _ENDS_FORCE and (self.home.path / "oa.json").is_file():
            # A document exported to TradeTrust is revoked there too (see
            # network.platforms.oa_exports: the ledger is the outbox, nothing is lost).
            from network.platforms.oa_exports import after_end_of_force

            after_end_of_force(self, str(doc_id))
            if self._courier is not None:  # served: what failed is retried by the courier
                self._courier.wake()

    # --- documents ----------------------------------------------------------------------

    def resolve_party(self, ref: PartyRef | None) -> str | None:
        """The organisation a document's party names: by national id, else by exact name."""
        return self.directory.resolve(ref)

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

    def _document_signer(self, org_id: str) -> signing.DocumentSigner:
        if org_id not in self._document_signers:  # reading the key decrypts it: once
            self._document_signers[org_id] = signing.DocumentSigner.of(self.home, org_id)
        return self._document_signers[org_id]

    def _kept(
        self, org_id: str, document: ValidDocument, op: Op, fields: dict[str, Any]
    ) -> tuple[SignedTx, SignedDocument]:
        """The signed transaction and the signed document a keeper commits together, with
        what was validated before signing (kept for this node's later verifications)."""
        envelope = self._document_signer(org_id).sign(document, self.clock())
        # The signed bytes kept are verified first (format, signature, integrity): this
        # node's later verifications of the same bytes rely on it (their reasons say so).
        data = encode(envelope.to_json())
        verified = self.pipeline.verify_for_keeping(data, document.kind, document.digest)
        validated = IssueValidation(
            document.kind, rules.fingerprint(), document.model.issuing_country(), verified
        )
        kept = SignedDocument(document.digest, data, validated)
        return self.transaction(org_id, op, **fields), kept

    def _anchor_new(self, org_id: str, document: ValidDocument, op: Op, **fields: Any) -> Receipt:
        if self.keeper is not None:
            receipt = self.keeper.submit_document(*self._kept(org_id, document, op, fields))
            self._after_commit(op, fields.get("doc"))  # an amendment ends the old one's force
            return receipt
        envelope = self._document_signer(org_id).sign(document, self.clock())
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
        data: bytes | Mapping[str, Any],
        org_id: str,
        links: Sequence[str] = (),
        to: str | None = None,
    ) -> Issued:
        """Validate, sign, store and anchor a document. ``data`` is JSON text, or a value
        the caller already parsed with ``chaincode.canonical.parse_json`` (the only parser a
        document may pass through)."""
        doc, fields = self._issue_fields(kind, data, links, to)
        receipt = self._anchor_new(org_id, doc, Op.ISSUE, **fields)
        self._push_to_destination(doc)
        return Issued(doc, receipt)

    async def issue_async(
        self,
        kind: DocumentKind,
        data: bytes | Mapping[str, Any],
        org_id: str,
        links: Sequence[str] = (),
        to: str | None = None,
    ) -> Issued:
        """``issue`` for an event loop (the HTTP API). With a keeper (the embedded ledger)
        the validation and signing run on the loop (well under a millisecond) and the group
        commit is awaited, so that no thread waits out each fsync; the receipt comes once
        the document and its entry are durable. Otherwise, and while the organisation's
        keys are still to be read (a decryption), ``issue`` runs in a thread."""
        if self.keeper is None or not (
            org_id in self._document_signers and org_id in self._signers
        ):
            return await asyncio.to_thread(self.issue, kind, data, org_id, links, to)
        doc, fields = self._issue_fields(kind, data, links, to)
        signed, kept = self._kept(org_id, doc, Op.ISSUE, fields)
        result = await asyncio.wrap_future(self.keeper.submit_document_later(signed, kept))
        if isinstance(result, int):  # pragma: no cover (only bulk imports answer indexes)
            raise TypeError("the ledger answered an entry index, not a receipt")
        receipt = single([result])
        if self._bound_elsewhere(doc):  # the outbox's durable insert: not on the loop
            await asyncio.to_thread(self._push_to_destination, doc)
        return Issued(doc, receipt)

    def _issue_fields(
        self,
        kind: DocumentKind,
        data: bytes | Mapping[str, Any],
        links: Sequence[str],
        to: str | None,
    ) -> tuple[ValidDocument, dict[str, Any]]:
        """The validated document and its issue transaction's fields."""
        doc = validate_document(kind, data)
        fields = {"doc": doc.digest, **self._facts_fields(doc, links)}
        if kind is DocumentKind.EBL:
            shipper = self.resolve_party(facts_of(doc).shipper)
            fields["to"] = to or shipper
            if fields["to"] is None:
                raise Refusal(
                    RefusalKind.INVALID,
                    "the eBL's first holder is unknown: its shipper matches no organisation "
                    "(give --to ORG)",
                )
        return doc, fields

    def supersede(
        self, op: Op, old_id: str, data: bytes | Mapping[str, Any], org_id: str, reason: str
    ) -> Issued:
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

    # --- reads, as the read policy allows ---------------------------------------------

    def _audience(self, record: DocumentRecord) -> Audience:
        return self._audiences.of(record, self.ledger.history(record.id))

    def _may_read(self, doc_id: str, reader: Reader, scope: ReadScope) -> DocumentRecord:
        record = self.require(doc_id)
        require(scope, may_read_document(reader, scope, self._audience(record)))
        return record

    def _readable(self, doc_ids: Sequence[str], reader: Reader) -> list[str]:
        """Those of the documents whose status the reader may read."""
        out = []
        for doc_id in doc_ids:
            record = self.ledger.document(doc_id)
            if record is None:
                continue
            audience = self._audience(record)
            if may_read_document(reader, ReadScope.STATUS, audience).allowed:
                out.append(doc_id)
        return out

    def status(self, doc_id: str, reader: Reader) -> DocumentStatus:
        record = self._may_read(doc_id, reader, ReadScope.STATUS)
        links = self.ledger.links(doc_id)
        return DocumentStatus(record, len(self.ledger.history(doc_id)), tuple(links))

    def signed_document(self, doc_id: str, reader: Reader) -> bytes:
        """The signed document as this node stores it (its content: the strictest read)."""
        self._may_read(doc_id, reader, ReadScope.CONTENT)
        data = self.store.get(doc_id)
        if data is None:
            raise Refusal(
                RefusalKind.NOT_FOUND, f"no signed document {doc_id} in this node's store"
            )
        return data

    def trace(self, doc_id: str, reader: Reader) -> list[HistoryEntry]:
        """The document's history and that of the documents linked to it, leaving out the
        entries of linked documents the reader may not read."""
        self._may_read(doc_id, reader, ReadScope.STATUS)
        own = {e.index for e in self.ledger.history(doc_id)}
        entries = self.ledger.trace(doc_id)
        others = {str(e.doc) for e in entries if e.index not in own and e.doc}
        visible = set(self._readable(sorted(others), reader))
        return [e for e in entries if e.index in own or e.doc in visible]

    def links(self, doc_id: str, reader: Reader) -> list[str]:
        """The ids of the documents linked to this one: a link is a fact of both records, so
        whoever may read this one's status sees it (the linked documents' own status and
        content stay theirs)."""
        self._may_read(doc_id, reader, ReadScope.STATUS)
        return self.ledger.links(doc_id)

    def container_documents(self, container: str, reader: Reader) -> list[str]:
        return self._readable(self.ledger.documents_for_container(container), reader)

    def holdings(self, org_id: str, reader: Reader) -> list[str]:
        require(ReadScope.HOLDINGS, may_read_holdings(reader, org_id))
        return self.ledger.held_by(org_id)

    def _provable(self, capability: str) -> ProvableLedger:
        if self.provable is None:
            raise NotOffered(capability, self.engine.value)
        return self.provable

    def proof(self, doc_id: str, reader: Reader) -> dict[str, Any]:
        """A standalone proof bundle of the document's history (``network.proof_bundle``)."""
        provable = self._provable("an offline proof bundle")
        self._may_read(doc_id, reader, ReadScope.STATUS)
        return standalone(provable.prove(doc_id), self.home)

    def audit_log(
        self, reader: Reader, progress: Callable[[int, int], None] | None = None
    ) -> LogCheck:
        """Re-check every entry and checkpoint of the log."""
        provable = self._provable("re-checking the log")
        require(ReadScope.LOG_AUDIT, may_audit_log(reader))
        return provable.verify_log(progress)

    def checkpoint(self) -> CheckpointInfo:
        """The latest signed checkpoint and the key that verifies it (public)."""
        provable = self._provable("a signed checkpoint")
        return CheckpointInfo(
            provable.checkpoint(), self.home.setting("checkpointKey"), self.home.setting("origin")
        )

    # --- verification -------------------------------------------------------------------

    def verify(self, data: bytes, ask_issuer: bool = False, full: bool = False) -> Verification:
        """Verify a presented document, with this node's ledger as the evidence (public).

        On a country's node, a document of another country that this ledger does not hold
        is completed by ``network.peers.asking``: ``UNKNOWN`` without ``ask_issuer``; with
        it, judged on the issuing country's node's signed answer (the ``issuer-node``
        check). The single demo home is every country's node and answers alone.

        The exact signed bytes this node verified when it issued them rely on that for
        format, signature and integrity (``network.verification.kept``; the reasons say so);
        ``full`` recomputes those three for every input."""
        report = self.pipeline.verify(data, self.clock(), self.ledger, full=full)
        if self.peers is None and not ask_issuer:
            return report
        return asking.complete(
            report,
            data,
            ask_issuer,
            self.home.countries(),
            lambda digest, issuer: self.ledger.evidence(digest, issuer) is not None,
            self.peers.ask if self.peers is not None else None,
            lambda again, source: self.pipeline.verify(again, self.clock(), source, full=full),
        )

    # --- other countries' nodes ------------------------------------------------------------

    def _push_to_destination(self, doc: ValidDocument) -> Pushed | None:
        """Queue a copy of a document for the node of the country it is bound for."""
        destination = destination_country(doc)
        if destination is None or destination in self._countries:
            return None
        envelope = self.store.get(doc.digest)
        if envelope is None:  # pragma: no cover (just stored by _anchor_new)
            return None
        return self.outbox.push(destination, "document", envelope, key=doc.digest)

    def _bound_elsewhere(self, doc: ValidDocument) -> bool:
        destination = destination_country(doc)
        return destination is not None and destination not in self._countries

    def on_arrival(self, kind: str, handler: Handler) -> None:
        """Take in another node's deliveries of ``kind`` with ``handler(payload)``, which
        returns (verdict, report) kept in the inbox with the item (e.g. rail advance
        information). A node that is no country's node has no inbox: a no-op."""
        if self.peers is not None:
            self.peers.inbox.on(kind, handler)

    def _verify_arrival(self, payload: bytes) -> tuple[str, dict[str, Any]]:
        report = self.verify(payload, ask_issuer=True)
        return report.verdict.value, report.to_json()

    def answer_query(
        self, signed_by: SignedBy, digest: str, issuer: str | None, known_size: int | None
    ) -> str:
        """A peer's verification query answered from this ledger: a signed answer."""
        peers = self._peers()
        provable = self.provable
        return peers.answer(
            signed_by,
            digest,
            issuer,
            known_size,
            lambda d, i: self.ledger.evidence(d, i) if i else self.ledger.evidence(d, ""),
            provable.checkpoint if provable is not None else lambda: "",
            provable.consistency_proof if provable is not None else None,
        )

    def receive(self, signed_by: SignedBy, kind: str, key: str, payload: bytes) -> dict[str, Any]:
        """A peer's delivery: kept durably, then verified (a document asks its issuing
        node), then acknowledged. A second delivery of the same item is acknowledged with
        the copy already kept."""
        inbox = self._peers().inbox
        arrival, created = inbox.store(signed_by.country, signed_by.key_id, kind, key, payload)
        failpoints.reached("inbox-after-store")
        arrival = inbox.verify(arrival)
        return {
            "received": True,
            "duplicate": not created,
            "id": arrival.id,
            "key": key,
            "verdict": arrival.verdict,
        }

    def _peers(self) -> Peers:
        if self.peers is None:
            raise RuntimeError("this node has no peers (it is not a country's node)")
        return self.peers

    def start_exchange(self) -> None:
        """Start delivering the outbox and the revocations due on the TradeTrust
        DocumentStore (a served node's worker does)."""
        if self._courier is None:
            from network.platforms.oa_courier import RevocationCourier

            self._courier = RevocationCourier(self)
            self._courier.start()
        if self.peers is not None and self._sender is None:
            self._sender = OutboxSender(self.outbox, self.peers.deliver)
            self._sender.start()
            inbox = self.peers.inbox
            pending = inbox.pending()  # kept, but not verified before a crash
            if pending:
                threading.Thread(
                    target=lambda: [inbox.verify(a) for a in pending], daemon=True
                ).start()

    def stop_exchange(self) -> None:
        if self._courier is not None:
            self._courier.stop()
            self._courier = None
        if self._sender is not None:
            self._sender.stop()
            self._sender = None


__all__ = [
    "AuthenticationError",
    "CheckpointInfo",
    "DocumentStatus",
    "Issued",
    "Node",
    "NotOffered",
]
