"""Whom a document concerns (``chaincode.read_policy.Audience``), as a node works it out:
the parties its content names, mapped to organisations; the countries it names; and, from
the ledger's record and history, its holders and everyone who acted on it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from chaincode.documents.envelope import EnvelopeError, parse
from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from chaincode.facts import DocumentFacts, PartyRef, facts_of
from chaincode.read_policy import Audience
from chaincode.records import DocumentRecord
from chaincode.transactions import Op
from identity.certificates import Organisation
from ledger.interface import HistoryEntry
from network.store import DocumentStore

# Ledger operations that make their ``to`` an eBL's holder.
TITLE_OPS = frozenset({Op.ISSUE.value, Op.TRANSFER.value, Op.ENDORSE.value})
MAX_REMEMBERED = 10_000


class PartyDirectory:
    """The organisations a node knows, to map a document's parties to them: by national id,
    else by exact name (whitespace and case aside)."""

    def __init__(self, organisations: Callable[[], Sequence[Organisation]]) -> None:
        self._load = organisations
        self._orgs: Sequence[Organisation] | None = None

    def _all(self) -> Sequence[Organisation]:
        if self._orgs is None:
            self._orgs = list(self._load())
        return self._orgs

    def resolve(self, ref: PartyRef | None) -> str | None:
        if ref is None:
            return None
        orgs = self._all()
        for country, value in ref.national_ids:
            for org in orgs:
                if (org.country, org.org_id) == (country, value):
                    return org.id
        wanted = " ".join(ref.name.split()).casefold()
        return next((o.id for o in orgs if " ".join(o.name.split()).casefold() == wanted), None)


class Audiences:
    """A document's audience from the node's store, directory and ledger. A document's
    content never changes, so what it names is worked out once per document."""

    def __init__(self, store: DocumentStore, directory: PartyDirectory) -> None:
        self._store = store
        self._directory = directory
        self._named: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def _content_facts(self, doc_id: str, kind: DocumentKind) -> DocumentFacts | None:
        data = self._store.get(doc_id)
        if data is None:
            return None
        try:
            envelope = parse(data)
            return facts_of(validate_document(kind, envelope.document))
        except (EnvelopeError, InvalidDocumentError):
            return None  # not this node's to judge here; the record alone speaks

    def _named_and_countries(self, record: DocumentRecord) -> tuple[frozenset[str], frozenset[str]]:
        known = self._named.get(record.id)
        if known is None:
            facts = self._content_facts(record.id, record.kind)
            parties = facts.parties if facts is not None else ()
            named = frozenset(
                org for org in (self._directory.resolve(p) for p in parties) if org is not None
            )
            known = (named, facts.countries if facts is not None else frozenset())
            with self._lock:
                if len(self._named) < MAX_REMEMBERED:
                    self._named[record.id] = known
        return known

    def of(self, record: DocumentRecord, history: Sequence[HistoryEntry]) -> Audience:
        named, countries = self._named_and_countries(record)
        participants = {e.actor for e in history}
        participants |= {str(e.details["to"]) for e in history if e.details.get("to")}
        holders: set[str] = set()
        if record.kind is DocumentKind.EBL:
            holders = {
                str(e.details["to"]) for e in history if e.op in TITLE_OPS and e.details.get("to")
            }
            holders |= {h for h in (record.holder, record.endorsee) if h}
        return Audience(
            issuer=record.issuer,
            named=named,
            holders=frozenset(holders),
            participants=frozenset(participants),
            countries=countries | ({record.country} if record.country else set()),
        )


__all__ = ["Audiences", "PartyDirectory"]
