"""The EVM ledger engine: the same ``Ledger`` semantics, on the TradeLedger contract.

A transaction is checked here exactly as the embedded engine checks it (clock skew, a
trusted and unrevoked ledger certificate, its signature, then ``chaincode.lifecycle.apply``
against the chain's current state), so a refusal reads the same on both engines. Accepted,
it becomes one call of the contract, signed locally with the actor's secp256k1 ledger key
(which is also its EVM account; no unlocked node accounts). The contract enforces the same
rules again: it is the authority when two nodes race, and its custom errors are decoded
into the chaincode's refusal texts.

Identifiers: our transaction id stays the digest of the signed transaction. The raw EVM
transaction is stored (``sent``) before it is broadcast, keyed by that id, so a resubmission,
a crash or a dropped connection resends the *same* raw bytes: its nonce makes that
idempotent, and a transaction is never executed twice.

The indexer pages through the contract's logs from the deployment block in bounded ranges
and keeps a cursor and its tables in one SQLite file; each page commits with its cursor, so
it resumes where it stopped. History, trace, links and container look-ups read the index;
a document's state and a pickup right are read from the contract itself.

What is embedded-only: signed checkpoints (C2SP notes), RFC 9162 inclusion proofs of log
entries, offline proof bundles and ``verify_log``. On the chain the blocks are the log and
consensus (QBFT) protects it; those calls raise ``EvmUnsupported``, a ``Refusal`` naming this.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.exceptions import (
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxReceipt

from chaincode.documents.registry import DocumentKind
from chaincode.evm import artifact
from chaincode.lifecycle import Refusal, RefusalKind, apply
from chaincode.records import Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction, utc
from ledger.admission import admit
from ledger.evm.calls import ZERO32, contract_call
from ledger.evm.chain import Chain, TxError, container_bytes, doc_id_bytes
from ledger.evm.codes import STATE
from ledger.evm.events import Event, Events, derive
from ledger.evm.index import EvmIndex
from ledger.evm.refusals import refusal
from ledger.evm.text import KIND_OF, country_text, doc_text, org_name, when
from ledger.interface import HistoryEntry, Identities, LogCheck, Receipt
from ledger.signed_tx import SignedTx
from ledger.tlog import merkle

T = TypeVar("T")
ZERO_ADDRESS = "0x" + "00" * 20

# Failures of the transport, not answers of the node: safe to retry for reads and for
# resending the same raw transaction.
RETRYABLE: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    ConnectionError,
    TimeoutError,
)
RETRY_ATTEMPTS = 8  # 0.05 s doubling to 2 s: about 8 s in all before giving up
RECEIPT_TIMEOUT = 60.0
LOG_PAGE = 2_000  # blocks per eth_getLogs call


class EvmUnsupported(Refusal, NotImplementedError):  # noqa: N818 (a refusal, as Refusal)
    """A feature of the embedded engine that the EVM engine does not offer."""

    def __init__(self, feature: str) -> None:
        super().__init__(
            RefusalKind.INVALID,
            f"{feature} is an embedded-ledger feature; on the evm engine the chain's blocks "
            "are the log and its consensus protects them (use status, history and trace)",
        )


@dataclass(frozen=True)
class EvmConfig:
    """Where the contract is: written to the home by ``network.evm.home.deploy``."""

    rpc: str
    contract: str
    deploy_block: int
    chain_id: int


def retry(call: Callable[[], T], attempts: int = RETRY_ATTEMPTS) -> T:
    """``call()``, retried with doubling backoff on transport failures only."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return call()
        except RETRYABLE:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


@dataclass
class _InFlight:
    tx_id: str
    tx_hash: str
    raw: bytes
    duplicate: bool


class _ChainView:
    """The chain's current state (contract reads + the index), as the chaincode checks a
    transaction against it (``chaincode.lifecycle.StateView``) and as its contract call is
    built (``ledger.evm.calls.CallState``)."""

    def __init__(self, ledger: EvmLedger) -> None:
        self._ledger = ledger

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        return self._ledger.document(doc_id, issuer, sync=False)

    def issuers(self, doc_id: str) -> list[str]:
        return self._ledger._index.issuers(doc_id)

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return self._ledger._index.existing(doc_ids, issuer)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self._ledger.pickup_right(container)

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return self._ledger._released_under(container, ebl, carrier)

    def party(self, org_id: str) -> Actor | None:
        return self._ledger._identities.party(org_id)

    def address(self, org_id: str | None) -> str:
        return self._ledger._address(org_id)

    def number(self, org_id: str) -> int:
        return self._ledger._number(org_id)

    def batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]:
        return self._ledger._batch_position(doc_id, root, issuer)

    def containers(self, doc_id: str, issuer: str) -> list[str]:
        return self._ledger._index.facts(doc_id, issuer)[0]


class EvmLedger:
    """``ledger.interface.Ledger`` over the TradeLedger contract on a JSON-RPC node."""

    nonblocking_reads = False  # reads may call the JSON-RPC node

    def __init__(
        self,
        config: EvmConfig,
        index_path: Path,
        identities: Identities,
        directory: Mapping[str, str],
        keys: Callable[[str], LocalAccount | None],
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        log_page: int = LOG_PAGE,
    ) -> None:
        """``directory`` maps organisation ids to their EVM addresses (from their ledger
        certificates); ``keys`` gives the local signing account of an organisation whose
        key this node holds, or None."""
        self._config = config
        self._identities = identities
        self._address_of = {org: to_checksum_address(a) for org, a in directory.items()}
        self._org_of: dict[str, str] = {a: org for org, a in self._address_of.items()}
        self._keys = keys
        self._accounts: dict[str, LocalAccount | None] = {}
        self._numbers: dict[str, int] = {}
        self._clock = clock
        self._page = log_page
        self._chain = retry(lambda: Chain.connect(config.rpc))
        if self._chain.chain_id != config.chain_id:
            raise RuntimeError(
                f"{config.rpc} is chain {self._chain.chain_id}, not {config.chain_id}"
            )
        abi = artifact()["abi"]
        self._chain.learn_errors(abi)
        self._contract: Contract = self._chain.w3.eth.contract(
            address=to_checksum_address(config.contract), abi=abi
        )
        self._events = Events(abi)
        self._index = EvmIndex(index_path, self._org_of)
        self._db = self._index.db  # the index's connection, as tests inspect it
        self._sync_lock = threading.Lock()
        self._pending = 0
        self._closed = False
        if self._meta("contract") not in (None, config.contract.lower()):
            raise RuntimeError(f"{index_path} indexes another contract; remove it to rebuild")
        self._index.set_meta("contract", config.contract.lower())

    # --- writing ----------------------------------------------------------------------

    def submit(self, signed: SignedTx) -> Receipt:
        result = self.submit_many([signed])[0]
        if isinstance(result, Refusal):
            raise result
        return result

    def submit_many(self, signed: Sequence[SignedTx]) -> list[Receipt | Refusal]:
        """Check and send every transaction, then collect the receipts (pipelined).

        A transaction refused because it depends on one still in flight in this call (an
        issue then a transfer, say) is checked again once those are mined: the outcome is
        the one a sequential submission gives."""
        if self._closed:
            raise RuntimeError("the ledger is closed")
        results: list[Receipt | Refusal | _InFlight] = []
        with _Counter(self, len(signed)):
            for item in signed:
                outcome = self._send(item)
                if isinstance(outcome, Refusal) and any(isinstance(r, _InFlight) for r in results):
                    results = [self._collect(r) if isinstance(r, _InFlight) else r for r in results]
                    outcome = self._send(item)
                results.append(outcome)
            return [self._collect(r) if isinstance(r, _InFlight) else r for r in results]

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        """As ``submit_many``, answering with each accepted transaction's entry index."""
        return [r if isinstance(r, Refusal) else r.index for r in self.submit_many(signed)]

    def _send(self, signed: SignedTx) -> Refusal | _InFlight:
        previous = self._sent(signed.id)
        if previous is not None:
            return previous
        try:
            actor = self._authenticate(signed)
            self.sync()
            view = _ChainView(self)
            effects = apply(signed.tx, actor, view)
            account = self._account(signed.tx.actor)
            fn = contract_call(signed.tx, effects, self._contract.functions, view)
            data = bytes.fromhex(fn._encode_transaction_data()[2:])
            to = self._contract.address
            gas = self._estimate(account, data, signed.tx)
        except Refusal as refusal:
            return refusal
        raw = self._chain.sign(account, to, data, gas + gas // 5 + 10_000)
        tx_hash = "0x" + keccak(raw).hex()
        # Stored before it is broadcast: whatever happens next, the same bytes are resent.
        self._index.record_sent(signed.id, tx_hash, raw, signed.wire["tx"])
        if signed.tx.op is Op.ANCHOR_BATCH:
            self._index.remember_batch(signed.tx)
        self._broadcast(raw, account)
        return _InFlight(signed.id, tx_hash, raw, duplicate=False)

    def _sent(self, tx_id: str) -> _InFlight | None:
        """A transaction this node already sent: resend its raw bytes (idempotent) and wait
        for it again. One that reverted is tried afresh, as the embedded engine re-runs a
        refused transaction."""
        row = self._index.sent(tx_id)
        if row is None or row[2] == "reverted":
            return None
        tx_hash, raw, _ = row
        if self._receipt_or_none(tx_hash) is None:
            self._broadcast(raw, None)
        return _InFlight(tx_id, tx_hash, raw, duplicate=True)

    def _broadcast(self, raw: bytes, account: LocalAccount | None) -> None:
        try:
            retry(lambda: self._chain.w3.eth.send_raw_transaction(raw))
        except (Web3RPCError, ValueError) as exc:  # the node's JSON-RPC error
            text = str(exc).lower()
            # The same bytes already with the node, or already mined: that is success.
            if "already known" in text or "already imported" in text:
                return
            if "nonce too low" in text and self._receipt_or_none("0x" + keccak(raw).hex()):
                return
            if account is not None:
                self._chain.forget_nonce(account)
            raise

    def _collect(self, flight: _InFlight) -> Receipt | Refusal:
        receipt = retry(
            lambda: self._chain.w3.eth.wait_for_transaction_receipt(
                flight.tx_hash,  # type: ignore[arg-type]
                timeout=RECEIPT_TIMEOUT,
                poll_latency=0.01,
            )
        )
        if receipt["status"] != 1:
            self._index.mark_reverted(flight.tx_hash)
            return self._revert_reason(flight, receipt)
        self.sync(until=int(receipt["blockNumber"]))
        return self._receipt(flight, receipt)

    def _revert_reason(self, flight: _InFlight, receipt: TxReceipt) -> Refusal:
        """The rule the transaction broke where it was mined (in a race, after the winner's).
        The chaincode, run again on the state now, names it as the embedded engine would;
        failing that, the contract's own error, replayed against the state of its block."""
        wire = self._index.wire(flight.tx_hash)
        if wire is not None:
            again = self._recheck(wire, int(receipt["blockNumber"]))
            if again is not None:
                return again
        tx = retry(lambda: self._chain.w3.eth.get_transaction(flight.tx_hash))  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": "0x" + bytes(tx["input"]).hex()}
        response = retry(
            lambda: self._chain.w3.provider.make_request(
                "eth_call",  # type: ignore[arg-type]
                [call, hex(int(receipt["blockNumber"]))],
            )
        )
        error = response.get("error")
        if error and wire is not None:
            return refusal(self._chain.decode_revert(error.get("data")), wire, self._org)
        return Refusal(RefusalKind.CONFLICT, f"the chain refused transaction {flight.tx_hash}")

    def _recheck(self, wire: dict[str, Any], block: int) -> Refusal | None:
        """The chaincode's refusal of a transaction (its signed wire form) on the state
        indexed up to ``block``, or None if the chaincode would accept it there."""
        self.sync(until=block)
        tx = Transaction.model_validate(wire, strict=False)
        actor = self._identities.party(tx.actor)
        if actor is None:
            return None
        try:
            apply(tx, actor, _ChainView(self))
        except Refusal as refusal:
            return refusal
        return None

    def _estimate(self, account: LocalAccount, data: bytes, tx: Transaction) -> int:
        probe = {"from": account.address, "to": self._contract.address, "data": "0x" + data.hex()}
        try:
            return retry(lambda: self._chain.estimate(probe))
        except TxError as exc:
            raise refusal(exc, tx, self._org) from None

    def _authenticate(self, signed: SignedTx) -> Actor:
        """The embedded engine's checks, in its order and with its texts."""
        return admit(signed, self._identities, self._clock())

    def _account(self, org_id: str) -> LocalAccount:
        if org_id not in self._accounts:
            self._accounts[org_id] = self._keys(org_id)
        account = self._accounts[org_id]
        if account is None:
            raise Refusal(RefusalKind.FORBIDDEN, f"this node holds no ledger key of {org_id}")
        return account

    def _address(self, org_id: str | None) -> str:
        if org_id is None:
            return ZERO_ADDRESS
        address = self._address_of.get(org_id)
        if address is None:
            raise Refusal(RefusalKind.INVALID, f"unknown organisation {org_id}")
        return address

    def _org(self, address: str) -> str | None:
        return org_name(self._org_of, address)

    # --- the index --------------------------------------------------------------------

    def sync(self, until: int | None = None) -> None:
        """Index the contract's logs up to the chain's head (or at least ``until``), in
        pages of bounded block ranges; each page commits with its cursor."""
        with self._sync_lock:
            cursor = int(self._meta("cursor") or self._config.deploy_block)
            if until is not None and cursor > until:
                return
            head = int(retry(lambda: self._chain.w3.eth.block_number))
            for start in range(cursor, head + 1, self._page):
                end = min(start + self._page - 1, head)
                logs = self._logs(start, end)
                self._index.commit_page(self._events.by_transaction(logs), end + 1, self._foreign)

    def _logs(self, start: int, end: int) -> list[Mapping[str, Any]]:
        query: Any = {"address": self._contract.address, "fromBlock": start, "toBlock": end}
        return list(retry(lambda: self._chain.w3.eth.get_logs(query)))

    def _foreign(
        self, block: int, events: list[Event], numbered: Callable[[int], str]
    ) -> tuple[str, str, str, str | None, dict[str, Any]]:
        """Another node's transaction: what the events say, at the block's time."""
        op, actor, doc, details = derive(events, self._org, numbered)
        stamp = int(retry(lambda: self._chain.w3.eth.get_block(block))["timestamp"])
        return op, actor, utc(when(stamp)), doc, details

    # --- receipts ---------------------------------------------------------------------

    def _receipt_or_none(self, tx_hash: str) -> TxReceipt | None:
        try:
            return retry(lambda: self._chain.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except (TransactionNotFound, TimeExhausted):
            return None

    def _receipt(self, flight: _InFlight, receipt: TxReceipt) -> Receipt:
        seq, tx_id, log_index, records = self._index.entry_of(flight.tx_hash)
        return Receipt(
            flight.tx_id if tx_id is None else tx_id,
            seq,
            flight.tx_hash,
            "",
            [],
            [self._summary(d, issuer) for d, issuer in records],
            flight.duplicate,
            block=int(receipt["blockNumber"]),
            tx_hash=flight.tx_hash,
            log_index=log_index,
        )

    def _summary(self, doc_id: str, issuer: str) -> dict[str, Any]:
        doc = self.document(doc_id, issuer, sync=False)
        if doc is None:
            return {"id": doc_id}
        out: dict[str, Any] = {
            "id": doc.id,
            "issuer": doc.issuer,
            "kind": doc.kind.value,
            "state": doc.state.value,
        }
        if doc.holder:
            out["holder"] = doc.holder
        return out

    # --- reading ----------------------------------------------------------------------

    def document(
        self, doc_id: str, issuer: str | None = None, sync: bool = True
    ) -> DocumentRecord | None:
        """``issuer``'s record of the digest (by default the digest's first record, as the
        index saw the anchors in chain order): the contract's record, with the index's facts
        (containers, links, succession, its batch)."""
        if not doc_id.startswith("sha256:") or len(doc_id) != 71:
            return None
        if sync:
            self.sync()
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return None
        number = self._number(owner)
        if number == 0:
            return None
        raw = doc_id_bytes(doc_id)
        values = retry(lambda: self._contract.functions.document(raw, number).call())
        state, kind, issuer_at, country, stamp, controller, surrendered_by, endorsee, to_order = (
            values
        )
        root = None
        if int(state) == 0:
            root = self._index.batch_of(doc_id, owner)
            if root is None:
                return None
            index, proof = self._batch_position(doc_id, root, owner)
            state = retry(
                lambda: self._contract.functions.batchDocumentState(
                    raw, doc_id_bytes(root), number, index, proof
                ).call()
            )
            if int(state) == 0:
                return None
            issuer_at, kind, country, stamp, _ = retry(
                lambda: self._contract.functions.batch(doc_id_bytes(root), number).call()
            )
        containers, links = self._index.facts(doc_id, owner)
        record = DocumentRecord(
            id=doc_id,
            kind=KIND_OF[int(kind)],
            issuer=self._org(issuer_at) or str(issuer_at),
            country=country_text(bytes(country)),
            state=DocState(STATE[int(state)] or "ISSUED"),
            issued_at=when(int(stamp)),
            containers=tuple(containers),
            links=tuple(links),
            supersedes=self._index.supersedes(doc_id, owner),
            superseded_by=self._index.superseded_by(doc_id, owner),
            batch=root,
        )
        if record.kind is DocumentKind.EBL:
            record = record.evolve(
                carrier=record.issuer,
                holder=self._org(controller),
                endorsee=self._org(endorsee),
                to_order=bool(to_order),
                surrendered_by=self._org(surrendered_by),
            )
        return record

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, the first to anchor it first."""
        self.sync()
        return self._index.issuers(doc_id)

    def _number(self, org_id: str) -> int:
        """The organisation's number in the contract (0: not registered); a registered
        organisation keeps its number for ever (a key rotation moves it to a new account)."""
        if org_id in self._numbers:
            return self._numbers[org_id]
        address = org_id if org_id.startswith("0x") else self._address_of.get(org_id)
        if address is None:
            return 0
        number = int(retry(lambda: self._contract.functions.organisation(address).call())[0])
        if number:
            self._numbers[org_id] = number
        return number

    def _batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]:
        """A member's index and inclusion proof in ``issuer``'s batch ``root``."""
        digests = self._index.batch_digests(root, issuer)
        store = merkle.MemoryNodeStore()
        for d in digests:
            store.append(merkle.leaf_hash(d.encode()))
        index = digests.index(doc_id)
        return index, merkle.inclusion_proof(store, index, len(digests))

    def _released_under(self, container: str, ebl: str, carrier: str) -> bool:
        number = self._number(carrier)
        key = keccak(
            abi_encode(
                ["bytes32", "bytes32", "uint32"],
                [container_bytes(container), doc_id_bytes(ebl), number],
            )
        )
        return bool(retry(lambda: self._contract.functions.releasedUnder(key).call()))

    def pickup_right(self, container: str) -> PickupRight | None:
        values = retry(
            lambda: self._contract.functions.pickupRight(container_bytes(container)).call()
        )
        ebl, holder, released_by, expires, picked_at, picked_by, terminal, country = values
        if bytes(ebl) == ZERO32:
            return None
        return PickupRight(
            container,
            doc_text(bytes(ebl)),
            self._org(holder) or "",
            when(int(expires)),
            self._org(released_by) or "",
            self._index.delegations(container),
            when(int(picked_at)) if int(picked_at) else None,
            self._org(picked_by),
            country=country_text(bytes(country)),
            terminal=self._org(terminal),
        )

    def history(self, doc_id: str, issuer: str | None = None) -> list[HistoryEntry]:
        self.sync()
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return []
        return self._index.entries(self._index.entry_seqs({(doc_id, owner)}))

    def links(self, doc_id: str, issuer: str | None = None) -> list[str]:
        self.sync()
        owner = self._index.issuer_of(doc_id, issuer)
        return [] if owner is None else self._index.links(doc_id, owner)

    def trace(
        self, doc_id: str, issuer: str | None = None, max_documents: int = 100
    ) -> list[HistoryEntry]:
        """Every entry that touched the record (``issuer``'s, by default the digest's first)
        or any record in its provenance (transitively, bounded), in chain order."""
        self.sync()
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return []
        return self._index.entries(
            self._index.entry_seqs(self._index.linked(doc_id, owner, max_documents))
        )

    def documents_for_container(self, container: str) -> list[str]:
        self.sync()
        return self._index.documents_for_container(container)

    def held_by(self, org_id: str) -> list[str]:
        """eBLs the organisation controls now: the index names the candidates (records
        with facts), the contract says who holds each."""
        self.sync()
        out = []
        for doc_id, issuer in self._index.ebls():
            record = self.document(doc_id, issuer, sync=False)
            if record is not None and record.kind is DocumentKind.EBL and record.holder == org_id:
                out.append(doc_id)
        return sorted(set(out))

    def size(self) -> int:
        """Indexed document entries (one per contract transaction that changed a document)."""
        self.sync()
        return self._index.size()

    def queue_depth(self) -> int:
        """Transactions being checked, sent or awaited by this node (for metrics)."""
        return self._pending

    def head(self) -> dict[str, Any]:
        """The chain's latest block: what the evm engine offers in place of a checkpoint."""
        block = retry(lambda: self._chain.w3.eth.get_block("latest"))
        return {
            "chainId": self._config.chain_id,
            "contract": self._contract.address,
            "block": int(block["number"]),
            "hash": "0x" + bytes(block["hash"]).hex(),
        }

    # --- embedded-only ----------------------------------------------------------------

    def checkpoint(self) -> str:
        raise EvmUnsupported("a signed checkpoint")

    def inclusion(self, doc_id: str) -> tuple[int, bytes, list[bytes], str]:
        raise EvmUnsupported("an inclusion proof against a signed checkpoint")

    def prove(self, doc_id: str) -> dict[str, Any]:
        raise EvmUnsupported("an offline proof bundle")

    def verify_log(self, progress: Callable[[int, int], None] | None = None) -> LogCheck:
        raise EvmUnsupported("re-checking the log")

    # --- housekeeping -----------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        return self._index.meta(key)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._index.close()


class _Counter:
    """Counts transactions in progress, for ``queue_depth``."""

    def __init__(self, ledger: EvmLedger, n: int) -> None:
        self._ledger = ledger
        self._n = n

    def __enter__(self) -> None:
        self._ledger._pending += self._n

    def __exit__(self, *exc: object) -> None:
        self._ledger._pending -= self._n


__all__ = ["EvmConfig", "EvmLedger", "EvmUnsupported", "retry"]
