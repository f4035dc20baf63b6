"""How a chaincode transaction becomes one call of the TradeLedger contract: the function
and its arguments for each op. The chaincode has already accepted the transaction against
the chain's state, and its effects name the records it changes (an eBL by its carrier, a
batch member by its batch), which picks the variant and its arguments.
"""

from __future__ import annotations

from typing import Protocol

from web3.contract.contract import ContractFunction, ContractFunctions

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Effects
from chaincode.transactions import Op, Transaction
from ledger.evm.chain import (
    container_bytes,
    country_bytes,
    doc_id_bytes,
    kind_country,
    where_bytes,
)
from ledger.evm.codes import CONTROL_OP, KIND, STATE, TO_ORDER

ZERO32 = b"\0" * 32

# Gas limits by the call's shape, instead of eth_estimateGas (a round trip per submit): a
# base per function, twice or more what it takes, and what grows with its arguments. Only gas
# used is paid; a limit too low reverts, and the engine says so.
GAS_BASE = {
    "issue": 100_000,
    "issueLinked": 120_000,
    "anchorBatch": 120_000,
    "amend": 150_000,
    "replace": 150_000,
    "supersedeInBatch": 200_000,
    "revoke": 100_000,
    "revokeInBatch": 150_000,
    "issueEbl": 160_000,
    "transfer": 100_000,
    "endorse": 100_000,
    "surrender": 100_000,
    "accept": 100_000,
    "reject": 100_000,
    "amendEbl": 200_000,
    "release": 120_000,
    "delegate": 100_000,
    "pickup": 100_000,
    "moveControl": 120_000,
}
GAS_PER_ITEM = 5_000  # a container, link or proof node listed in the call
GAS_PER_RELEASE = 120_000  # a container released: its right (two slots) and its mark
GAS_PER_TEXT_BYTE = 64  # a reason: call data and the event that repeats it
GAS_CAP = 25_000_000  # under any block's limit; nothing we send comes near it


class CallState(Protocol):
    """What building a call needs to know of organisations and of the chain's state."""

    def address(self, org_id: str | None) -> str: ...

    def number(self, org_id: str) -> int:
        """The organisation's number in the contract (its records are keyed by it)."""
        ...

    # A batch member's index and inclusion proof in ``issuer``'s batch ``root``.
    def batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]: ...

    def containers(self, doc_id: str, issuer: str) -> list[str]:
        """An eBL's containers, as issued."""
        ...


def contract_call(
    tx: Transaction, effects: Effects, f: ContractFunctions, state: CallState
) -> ContractFunction:
    """The contract call that carries out ``tx``, whose ``effects`` the chaincode gave."""
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
    if op in (Op.AMEND, Op.REPLACE, Op.REVOKE):
        return _change(tx, effects, f, state, doc, country, containers)
    if op in (Op.RELEASE, Op.DELEGATE, Op.PICKUP):
        return _rights(tx, effects, f, state, doc, containers)
    if op in CONTROL_OP:
        return _move_control(tx, effects, f, state, doc)
    carrier = state.number(effects.documents[0].issuer)  # the eBL's record
    if op in (Op.TRANSFER, Op.ENDORSE):
        target = f.endorse if op is Op.ENDORSE else f.transfer
        return target(doc, carrier, state.address(tx.to))
    if op is Op.SURRENDER:
        return f.surrender(doc, carrier, tx.purpose == "amendment")
    if op is Op.ACCEPT:
        return f.accept(doc, carrier)
    return f.reject(doc, carrier, tx.reason or "")


def _change(
    tx: Transaction,
    effects: Effects,
    f: ContractFunctions,
    state: CallState,
    doc: bytes,
    country: bytes,
    containers: list[bytes],
) -> ContractFunction:
    """AMEND, REPLACE, REVOKE of the actor's own record: a single one, or a batch member."""
    reason = tx.reason or ""
    old = effects.documents[0]
    if old.kind is DocumentKind.EBL:
        new = doc_id_bytes(tx.newDoc or "")
        return f.amendEbl(doc, new, country, bool(tx.toOrder), containers, reason)
    if tx.op is Op.REVOKE:
        if old.batch is None:
            return f.revoke(doc, reason)
        index, proof = state.batch_position(old.id, old.batch, old.issuer)
        return f.revokeInBatch(doc, reason, doc_id_bytes(old.batch), index, proof)
    new = doc_id_bytes(tx.newDoc or "")
    if old.batch is not None:
        index, proof = state.batch_position(old.id, old.batch, old.issuer)
        return f.supersedeInBatch(
            doc, new, country, reason, tx.op is Op.REPLACE, doc_id_bytes(old.batch), index, proof
        )
    target = f.replace if tx.op is Op.REPLACE else f.amend
    return target(doc, new, country, reason)


def _rights(
    tx: Transaction,
    effects: Effects,
    f: ContractFunctions,
    state: CallState,
    doc: bytes,
    containers: list[bytes],
) -> ContractFunction:
    if tx.op is Op.RELEASE:
        carrier = effects.rights[0].released_by
        issued = [container_bytes(c) for c in state.containers(tx.doc or "", carrier)]
        expires = int(tx.expires.timestamp()) if tx.expires else 0
        return f.release(
            doc,
            state.number(carrier),
            issued,
            containers,
            state.address(tx.to),
            expires,
            state.address(tx.terminal),
            country_bytes(tx.country),
        )
    container = container_bytes(tx.container or "")
    if tx.op is Op.DELEGATE:
        return f.delegate(container, doc, state.address(tx.to))
    return f.pickup(container, doc, state.address(tx.to))


_STATE_NUMBER = {name: number for number, name in STATE.items() if name}


def _move_control(
    tx: Transaction, effects: Effects, f: ContractFunctions, state: CallState, doc: bytes
) -> ContractFunction:
    """The six operations of ``chaincode.external_control`` as one ``moveControl`` call:
    ``move`` packs who (RECLAIM_EBL's party), the record's owner, the op and the state the
    record ends in (with the to-order bit for a record new here)."""
    record = effects.documents[0]
    new_state = _STATE_NUMBER[record.state.value]
    if tx.op is Op.RECORD_RECEIVED and record.to_order:
        new_state |= TO_ORDER
    who = int(state.address(tx.to), 16) if tx.op is Op.RECLAIM_EBL else 0
    move = who | state.number(record.issuer) << 160 | CONTROL_OP[tx.op] << 192 | new_state << 200
    ref = bytes.fromhex(tx.ref or "00" * 32)
    where = where_bytes(tx.where, tx.carrierPlatform)
    return f.moveControl(doc, move, ref, where)


def gas_limit(fn: ContractFunction) -> int:
    """The gas limit for this contract call, from its function and the size of its
    arguments."""
    name = fn.fn_name
    gas = GAS_BASE.get(name, 300_000)
    for arg in fn.args:
        if isinstance(arg, list | tuple):
            gas += GAS_PER_ITEM * len(arg)
        elif isinstance(arg, str) and not arg.startswith("0x"):
            gas += GAS_PER_TEXT_BYTE * len(arg.encode())
    if name == "release":
        gas += GAS_PER_RELEASE * len(fn.args[3])
    return min(gas, GAS_CAP)
