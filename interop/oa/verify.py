"""Verifying any OpenAttestation v2 document: one check per oa-verify fragment, each with a
status (VALID, INVALID, ERROR, SKIPPED) and a reason.

- ``OpenAttestationHash`` (DOCUMENT_INTEGRITY): the targetHash is the digest of ``data`` and
  ``privacy.obfuscatedData``, and the proof leads from it to the merkleRoot. Offline.
- ``OpenAttestationEthereumDocumentStoreStatus`` (DOCUMENT_STATUS): every issuer's store has
  ``isIssued(merkleRoot)``, and no node of the document's path (targetHash, intermediate
  nodes, root) ``isRevoked``.
- ``OpenAttestationEthereumTokenRegistryStatus`` (DOCUMENT_STATUS): the registry has a token
  for the merkleRoot. Its state is computed: a burnt token (surrender accepted) is INVALID,
  where the official verifier, which only asks ``ownerOf != 0``, says VALID.
- ``OpenAttestationDnsTxtIdentityProof`` (ISSUER_IDENTITY): each issuer's domain has a TXT
  record naming its contract on this chain; the resolver is injected.
- ``TdxDocumentDigest`` (DOCUMENT_INTEGRITY, ours): a tdx export's ``data.document`` still
  has the digest in ``data.tdx.digest`` (SKIPPED for other documents, and when fields of it
  are hidden).

A document is valid as ``isValid`` decides: for each type, at least one VALID and every one
VALID or SKIPPED. Anything that cannot be read counts against the document (fails closed).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaincode.canonical import CanonicalizationError, digest
from interop.oa import rpc
from interop.oa.dns_txt import DnsTxtError, DnsTxtResolver, DnsTxtSources, matches
from interop.oa.document import HEX32, Issuer, Wrapped, issuers_of, parse_wrapped
from interop.oa.errors import OaError
from interop.oa.hashing import digest_document
from interop.oa.merkle import path_nodes, root_of
from interop.oa.salt import unsalt_data
from interop.oa.token_registry import TitleState, state_of_owner

HASH = "OpenAttestationHash"
DOCUMENT_STORE = "OpenAttestationEthereumDocumentStoreStatus"
TOKEN_REGISTRY = "OpenAttestationEthereumTokenRegistryStatus"  # noqa: S105 (a name)
DNS_TXT = "OpenAttestationDnsTxtIdentityProof"
TDX_DIGEST = "TdxDocumentDigest"


class FragmentType(enum.StrEnum):
    DOCUMENT_INTEGRITY = "DOCUMENT_INTEGRITY"
    DOCUMENT_STATUS = "DOCUMENT_STATUS"
    ISSUER_IDENTITY = "ISSUER_IDENTITY"


class Status(enum.StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class Fragment:
    name: str
    type: FragmentType
    status: Status
    reason: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "status": self.status.value,
            "reason": self.reason,
        }
        if self.data:
            out["data"] = dict(self.data)
        return out


@dataclass(frozen=True)
class Verification:
    fragments: tuple[Fragment, ...]

    @property
    def valid(self) -> bool:
        for kind in FragmentType:
            of_kind = [f for f in self.fragments if f.type is kind]
            if not any(f.status is Status.VALID for f in of_kind):
                return False
            if any(f.status not in (Status.VALID, Status.SKIPPED) for f in of_kind):
                return False
        return True

    def fragment(self, name: str) -> Fragment:
        return next(f for f in self.fragments if f.name == name)

    def failures(self) -> list[Fragment]:
        return [f for f in self.fragments if f.status in (Status.INVALID, Status.ERROR)]

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "checks": [f.to_json() for f in self.fragments]}


def _frag(
    name: str, status: Status, reason: str, data: Mapping[str, Any] | None = None
) -> Fragment:
    kind = {
        HASH: FragmentType.DOCUMENT_INTEGRITY,
        TDX_DIGEST: FragmentType.DOCUMENT_INTEGRITY,
        DOCUMENT_STORE: FragmentType.DOCUMENT_STATUS,
        TOKEN_REGISTRY: FragmentType.DOCUMENT_STATUS,
        DNS_TXT: FragmentType.ISSUER_IDENTITY,
    }[name]
    return Fragment(name, kind, status, reason, data or {})


# --- offline checks ---------------------------------------------------------------------------


def integrity(doc: Wrapped) -> Fragment:
    try:
        computed = digest_document(doc.data, doc.obfuscated)
    except OaError as exc:
        return _frag(HASH, Status.INVALID, f"data cannot be hashed: {exc}")
    if computed != doc.target_hash:
        return _frag(
            HASH,
            Status.INVALID,
            "the document has been tampered with: its data hashes to "
            f"{computed}, not to its targetHash {doc.target_hash}",
        )
    root = root_of(bytes.fromhex(computed), doc.proof)
    if root != doc.merkle_root:
        return _frag(
            HASH,
            Status.INVALID,
            f"the proof leads to {root.hex()}, not to the merkleRoot {doc.merkle_root.hex()}",
        )
    return _frag(HASH, Status.VALID, f"targetHash {computed} matches the data and the proof")


def tdx_link(doc: Wrapped) -> Fragment:
    """Whether a tdx export's document still has the digest it claims."""
    if "tdx" not in doc.data:
        return _frag(TDX_DIGEST, Status.SKIPPED, "not a tdx export (no data.tdx)")
    block = unsalt_data(doc.data["tdx"], exact=True)
    claimed = block.get("digest") if type(block) is dict else None
    if type(claimed) is not str:
        return _frag(TDX_DIGEST, Status.INVALID, "data.tdx.digest is missing")
    data = {"digest": claimed}
    if "document" in doc.data:
        try:
            found: str | None = digest(unsalt_data(doc.data["document"], exact=True))
        except CanonicalizationError as exc:
            return _frag(TDX_DIGEST, Status.INVALID, f"data.document: {exc}", data)
    else:
        found = None
    if found == claimed:
        return _frag(TDX_DIGEST, Status.VALID, f"data.document has the tdx digest {claimed}", data)
    if doc.obfuscated:
        return _frag(
            TDX_DIGEST,
            Status.SKIPPED,
            f"fields are hidden, so the digest {claimed} cannot be recomputed",
            data,
        )
    return _frag(
        TDX_DIGEST,
        Status.INVALID,
        f"data.document has the digest {found}, not the {claimed} it claims",
        data,
    )


# --- the chain and DNS ------------------------------------------------------------------------


# Per domain: (the source that answered, its records), or why there is no answer.
_DnsCache = dict[str, tuple[str, Sequence[str]] | str]


@dataclass
class _Job:
    """One document's verification in progress."""

    wrapped: Wrapped | None
    problem: str | None = None
    issuers: list[Issuer] = field(default_factory=list)
    calls: list[rpc.Call] = field(default_factory=list)


def _store_calls(job: _Job) -> list[rpc.Call] | str:
    """The calls the DocumentStore check needs, or why it cannot run."""
    doc = job.wrapped
    assert doc is not None
    if HEX32.fullmatch(doc.target_hash) is None:
        return "the targetHash is not 32 bytes of hex"
    nodes = path_nodes(bytes.fromhex(doc.target_hash), doc.proof)
    calls = []
    for i, issuer in enumerate(job.issuers):
        if issuer.store_kind not in ("documentStore", "certificateStore") or not issuer.address:
            return f"issuer {i} ({issuer.name}) has no documentStore"
        calls.append(rpc.Call(issuer.address, rpc.IS_ISSUED + doc.merkle_root))
        calls += [rpc.Call(issuer.address, rpc.IS_REVOKED + node) for node in nodes]
    return calls


def _registry_call(job: _Job) -> rpc.Call | str:
    doc = job.wrapped
    assert doc is not None
    if len(job.issuers) != 1:
        return "a transferable record has exactly one issuer"
    address = job.issuers[0].address
    if job.issuers[0].store_kind != "tokenRegistry" or not address:
        return "the issuer has no tokenRegistry"
    return rpc.Call(address, rpc.OWNER_OF + doc.merkle_root)


def _store_status(job: _Job, answers: Mapping[rpc.Call, rpc.Result]) -> Fragment:
    doc = job.wrapped
    assert doc is not None
    nodes = path_nodes(bytes.fromhex(doc.target_hash), doc.proof)
    root = "0x" + doc.merkle_root.hex()
    stores = []
    for issuer in job.issuers:
        address = str(issuer.address)
        issued = answers[rpc.Call(address, rpc.IS_ISSUED + doc.merkle_root)]
        if issued.as_bool() is None:
            why = issued.error or "no contract answers there"
            return _frag(DOCUMENT_STORE, Status.INVALID, f"DocumentStore {address}: {why}")
        if not issued.as_bool():
            return _frag(
                DOCUMENT_STORE,
                Status.INVALID,
                f"merkleRoot {root} has not been issued on DocumentStore {address}",
            )
        for i, node in enumerate(nodes):
            revoked = answers[rpc.Call(address, rpc.IS_REVOKED + node)].as_bool()
            if revoked is None or revoked:
                what = (
                    "the document (targetHash)"
                    if i == 0
                    else "the batch (merkleRoot)"
                    if i == len(nodes) - 1
                    else f"an intermediate node (level {i})"
                )
                how = "has been revoked" if revoked else "cannot be read (counted as revoked)"
                return _frag(
                    DOCUMENT_STORE,
                    Status.INVALID,
                    f"0x{node.hex()}, {what}, {how} on DocumentStore {address}",
                    {"revoked": "0x" + node.hex()},
                )
        stores.append(address)
    return _frag(
        DOCUMENT_STORE,
        Status.VALID,
        f"merkleRoot {root} issued and not revoked on {', '.join(stores)}",
        {"documentStores": stores},
    )


def _registry_status(
    job: _Job, answers: Mapping[rpc.Call, rpc.Result], escrow: Mapping[rpc.Call, rpc.Result]
) -> Fragment:
    call = _registry_call(job)
    assert isinstance(call, rpc.Call)
    registry = call.to
    result = answers[call]
    data: dict[str, Any] = {"tokenRegistry": registry, "tokenId": "0x" + call.data[4:].hex()}
    if result.output is None:
        return _frag(
            TOKEN_REGISTRY,
            Status.INVALID,
            f"the document has not been issued under token registry {registry} ({result.error})",
            data,
        )
    owner = result.as_address()
    if owner is None:
        return _frag(TOKEN_REGISTRY, Status.INVALID, f"no token registry at {registry}", data)
    state = state_of_owner(owner, registry)
    data |= {"owner": owner, "state": state.value}
    if state is TitleState.NOT_MINTED:
        return _frag(TOKEN_REGISTRY, Status.INVALID, f"not minted on {registry}", data)
    if state is TitleState.BURNT:
        return _frag(
            TOKEN_REGISTRY,
            Status.INVALID,
            f"the title was burnt on {registry} (surrender accepted): it no longer exists "
            "(the official verifier still calls it valid)",
            data,
        )
    if state is TitleState.RETURNED_TO_ISSUER:
        return _frag(
            TOKEN_REGISTRY,
            Status.VALID,
            f"returned to the issuer (surrendered) on {registry}, awaiting acceptance",
            data,
        )
    beneficiary = escrow[rpc.Call(owner, rpc.BENEFICIARY)].as_address()
    holder = escrow[rpc.Call(owner, rpc.HOLDER)].as_address()
    data |= {"titleEscrow": owner, "beneficiary": beneficiary, "holder": holder}
    return _frag(
        TOKEN_REGISTRY,
        Status.VALID,
        f"minted on {registry}, in TitleEscrow {owner}: beneficiary {beneficiary}, holder {holder}",
        data,
    )


class Verifier:
    """Verifies documents against one EVM node (``rpc``) and a DNS-TXT resolver (``dns``);
    either may be None, and then the checks that need it report ERROR."""

    def __init__(self, rpc_node: rpc.JsonRpc | None, dns: DnsTxtResolver | None) -> None:
        self.rpc = rpc_node
        self.dns = dns

    def verify(self, document: Any) -> Verification:
        return self.verify_many([document])[0]

    def verify_many(self, documents: Sequence[Any]) -> list[Verification]:
        """Many documents, their chain reads in one or two batch requests."""
        jobs = [self._job(d) for d in documents]
        answers: dict[rpc.Call, rpc.Result] = {}
        escrow_answers: dict[rpc.Call, rpc.Result] = {}
        chain_id: int | None = None
        rpc_problem: str | None = None
        needed = [c for job in jobs for c in job.calls]
        if self.rpc is not None and (needed or any(j.wrapped for j in jobs)):
            try:
                chain_id = self.rpc.chain_id()
                answers = self.rpc.call_many(needed)
                escrows = [
                    owner
                    for c, r in answers.items()
                    if c.data[:4] == rpc.OWNER_OF
                    and (owner := r.as_address()) is not None
                    and state_of_owner(owner, c.to) is TitleState.ACTIVE
                ]
                escrow_calls = [
                    rpc.Call(e, sel) for e in escrows for sel in (rpc.BENEFICIARY, rpc.HOLDER)
                ]
                escrow_answers = self.rpc.call_many(escrow_calls)
            except rpc.RpcError as exc:
                rpc_problem = f"the EVM node did not answer: {exc}"
        elif self.rpc is None:
            rpc_problem = "no EVM RPC was given, so the chain cannot be read"
        dns_cache: _DnsCache = {}
        return [
            Verification(
                self._fragments(job, answers, escrow_answers, chain_id, rpc_problem, dns_cache)
            )
            for job in jobs
        ]

    def _job(self, document: Any) -> _Job:
        try:
            job = _Job(parse_wrapped(document))
        except OaError as exc:
            return _Job(None, f"not a wrapped OpenAttestation v2 document: {exc}")
        assert job.wrapped is not None
        try:
            job.issuers = issuers_of(job.wrapped.data)
        except OaError as exc:
            job.problem = f"the issuers cannot be read: {exc}"
            return job
        kinds = {i.store_kind for i in job.issuers}
        if kinds & {"documentStore", "certificateStore"}:
            calls = _store_calls(job)
            if isinstance(calls, list):
                job.calls += calls
        if "tokenRegistry" in kinds:
            call = _registry_call(job)
            if isinstance(call, rpc.Call):
                job.calls.append(call)
        return job

    def _fragments(
        self,
        job: _Job,
        answers: Mapping[rpc.Call, rpc.Result],
        escrow: Mapping[rpc.Call, rpc.Result],
        chain_id: int | None,
        rpc_problem: str | None,
        dns_cache: _DnsCache,
    ) -> tuple[Fragment, ...]:
        doc = job.wrapped
        if doc is None:
            reason = job.problem or "not a wrapped document"
            return (
                _frag(HASH, Status.INVALID, reason),
                _frag(DOCUMENT_STORE, Status.SKIPPED, reason),
                _frag(TOKEN_REGISTRY, Status.SKIPPED, reason),
                _frag(DNS_TXT, Status.SKIPPED, reason),
                _frag(TDX_DIGEST, Status.SKIPPED, reason),
            )
        found = [integrity(doc)]
        if job.problem is not None:
            found += [
                _frag(DOCUMENT_STORE, Status.ERROR, job.problem),
                _frag(TOKEN_REGISTRY, Status.ERROR, job.problem),
                _frag(DNS_TXT, Status.ERROR, job.problem),
            ]
        else:
            found += self._status(job, answers, escrow, rpc_problem)
            found.append(self._identity(job, chain_id, rpc_problem, dns_cache))
        found.append(tdx_link(doc))
        return tuple(found)

    def _status(
        self,
        job: _Job,
        answers: Mapping[rpc.Call, rpc.Result],
        escrow: Mapping[rpc.Call, rpc.Result],
        rpc_problem: str | None,
    ) -> list[Fragment]:
        kinds = {i.store_kind for i in job.issuers}
        out = []
        if kinds & {"documentStore", "certificateStore"}:
            calls = _store_calls(job)
            if isinstance(calls, str):
                out.append(_frag(DOCUMENT_STORE, Status.ERROR, calls))
            elif rpc_problem:
                out.append(_frag(DOCUMENT_STORE, Status.ERROR, rpc_problem))
            else:
                out.append(_store_status(job, answers))
        else:
            out.append(_frag(DOCUMENT_STORE, Status.SKIPPED, "no issuer has a documentStore"))
        if "tokenRegistry" in kinds:
            call = _registry_call(job)
            if isinstance(call, str):
                out.append(_frag(TOKEN_REGISTRY, Status.ERROR, call))
            elif rpc_problem:
                out.append(_frag(TOKEN_REGISTRY, Status.ERROR, rpc_problem))
            else:
                out.append(_registry_status(job, answers, escrow))
        else:
            out.append(_frag(TOKEN_REGISTRY, Status.SKIPPED, "no issuer has a tokenRegistry"))
        return out

    def _records(self, domain: str, cache: _DnsCache) -> tuple[str, Sequence[str]] | str:
        """(the source that answered, its records) for ``domain``, or why none could."""
        if domain not in cache:
            if self.dns is None:
                cache[domain] = "no DNS-TXT resolver was given"
            else:
                try:
                    if isinstance(self.dns, DnsTxtSources):
                        source, records = self.dns.answer(domain)
                        cache[domain] = (source or "no source", list(records))
                    else:
                        cache[domain] = ("the resolver given", list(self.dns(domain)))
                except DnsTxtError as exc:
                    cache[domain] = f"DNS could not be queried for {domain}: {exc}"
        return cache[domain]

    def _identity(
        self,
        job: _Job,
        chain_id: int | None,
        rpc_problem: str | None,
        dns_cache: _DnsCache,
    ) -> Fragment:
        if not any(i.address and i.identity_type == "DNS-TXT" for i in job.issuers):
            return _frag(
                DNS_TXT,
                Status.SKIPPED,
                "no issuer has a contract with a DNS-TXT identityProof",
            )
        if chain_id is None:
            return _frag(DNS_TXT, Status.ERROR, rpc_problem or "the chain id is unknown")
        identities: list[dict[str, Any]] = []
        for i, issuer in enumerate(job.issuers):
            if issuer.identity_type != "DNS-TXT":
                return _frag(
                    DNS_TXT, Status.INVALID, f"issuer {i} ({issuer.name}) does not use DNS-TXT"
                )
            if not issuer.location or not issuer.address:
                return _frag(
                    DNS_TXT,
                    Status.ERROR,
                    f"issuer {i} ({issuer.name}) has no identityProof.location or no contract",
                )
            answer = self._records(issuer.location, dns_cache)
            if isinstance(answer, str):
                return _frag(DNS_TXT, Status.ERROR, answer)
            source, records = answer
            if not matches(records, issuer.address, chain_id):
                return _frag(
                    DNS_TXT,
                    Status.INVALID,
                    f"no DNS-TXT record at {issuer.location} names {issuer.address} on chain "
                    f"{chain_id} (asked: {source}, {len(records)} record(s))",
                    {"location": issuer.location, "value": issuer.address, "source": source},
                )
            identities.append(
                {"location": issuer.location, "value": issuer.address, "source": source}
            )
        names = ", ".join(f"{d['location']} -> {d['value']} ({d['source']})" for d in identities)
        return _frag(
            DNS_TXT,
            Status.VALID,
            f"DNS-TXT on chain {chain_id}: {names}",
            {"identities": identities},
        )


def verify_documents(
    documents: Iterable[Any], rpc_url: str | None, dns: DnsTxtResolver | None
) -> list[Verification]:
    """Verify documents against the node at ``rpc_url`` (None: the chain checks ERROR)."""
    docs = list(documents)
    if rpc_url is None:
        return Verifier(None, dns).verify_many(docs)
    with rpc.JsonRpc(rpc_url) as node:
        return Verifier(node, dns).verify_many(docs)


__all__ = [
    "DNS_TXT",
    "DOCUMENT_STORE",
    "HASH",
    "TDX_DIGEST",
    "TOKEN_REGISTRY",
    "Fragment",
    "FragmentType",
    "Status",
    "Verification",
    "Verifier",
    "integrity",
    "tdx_link",
    "verify_documents",
]
