"""How a chaincode transaction becomes one call of the TradeLedger contract: the function
and its arguments for each op. Which variant is called can depend on the chain's state (an
eBL, a batch member, a release's issued containers), read through ``CallState``.
"""

from __future__ import annotations

from typing import Protocol

from web3.contract.contract import ContractFunction, ContractFunctions

from chaincode.documents.registry import DocumentKind
from chaincode.records import DocumentRecord
from chaincode.transactions import Op, Transaction
from ledger.evm.chain import container_bytes, country_bytes, doc_id_bytes, kind_country
from ledger.evm.codes import KIND

ZERO32 = b"\0" * 32


class CallState(Protocol):
    """What building a call needs to know of organisations and the chain's current state."""

    def address(self, org_id: str | None) -> str: ...

    # For a batch member not yet changed on its own: its root, index and proof.
    def batch_position(self, doc_id: str) -> tuple[bytes, int, list[bytes]] | None: ...

    def containers(self, doc_id: str) -> list[str]: ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...


def contract_call(tx: Transaction, f: ContractFunctions, state: CallState) -> ContractFunction:
    """The contract call that carries out ``tx`` (already checked by the chaincode)."""
    doc = doc_id_bytes(tx.doc) if tx.doc else ZERO32
    containers = [container_bytes(c) for c in dict.fromkeys(tx.containers)]
    country = country_bytes(tx.country)
    op = tx.op
    if op is Op.ISSUE:
        kind = tx.kind.value if tx.kind else "co"
        if tx.kind is DocumentKind.EBL:
            return f.issueEbl(doc, country, state.address(tx.to), bool(tx.toOrder), containers)
        if containers or tx.links:
            links = [doc_id_bytes(d) for d in dict.fromkeys(tx.links)]
            return f.issueLinked(doc, KIND[kind], country, containers, links)
        return f.issue(doc, kind_country(kind, tx.country))
    if op is Op.ANCHOR_BATCH:
        kind = tx.kind.value if tx.kind else "co"
        return f.anchorBatch(doc, KIND[kind], country, len(tx.digests))
    if op in (Op.AMEND, Op.REPLACE):
        return _supersede(tx, f, state, doc, country, containers)
    if op is Op.REVOKE:
        member = state.batch_position(tx.doc or "")
        if member is not None:
            root, index, proof = member
            return f.revokeInBatch(doc, tx.reason or "", root, index, proof)
        return f.revoke(doc, tx.reason or "")
    if op in (Op.TRANSFER, Op.ENDORSE):
        target = f.endorse if op is Op.ENDORSE else f.transfer
        return target(doc, state.address(tx.to))
    if op is Op.SURRENDER:
        return f.surrender(doc, tx.purpose == "amendment")
    if op is Op.ACCEPT:
        return f.accept(doc)
    if op is Op.REJECT:
        return f.reject(doc, tx.reason or "")
    if op is Op.RELEASE:
        issued = [container_bytes(c) for c in state.containers(tx.doc or "")]
        expires = int(tx.expires.timestamp()) if tx.expires else 0
        return f.release(doc, issued, containers, state.address(tx.to), expires)
    container = container_bytes(tx.container or "")
    if op is Op.DELEGATE:
        return f.delegate(container, doc, state.address(tx.to))
    return f.pickup(container, doc, state.address(tx.to))


def _supersede(
    tx: Transaction,
    f: ContractFunctions,
    state: CallState,
    doc: bytes,
    country: bytes,
    containers: list[bytes],
) -> ContractFunction:
    new = doc_id_bytes(tx.newDoc or "")
    reason = tx.reason or ""
    old = state.document(tx.doc or "")
    if old is not None and old.kind is DocumentKind.EBL:
        return f.amendEbl(doc, new, country, bool(tx.toOrder), containers, reason)
    member = state.batch_position(tx.doc or "")
    if member is not None:
        root, index, proof = member
        return f.supersedeInBatch(
            doc, new, country, reason, tx.op is Op.REPLACE, root, index, proof
        )
    target = f.replace if tx.op is Op.REPLACE else f.amend
    return target(doc, new, country, reason)
