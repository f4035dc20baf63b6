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
entries, offline proof bundles and ``verify_log`` (``ledger.interface.ProvableLedger``). On
the chain the blocks are the log and consensus (QBFT) protects it; this engine is a plain
``Ledger``, and a verifier's evidence names the block whose state it read.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import requests
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
from chaincode.identifiers import is_doc_id
from chaincode.lifecycle import Refusal, RefusalKind, apply
from chaincode.records import Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction, utc
from ledger.admission import admit
from ledger.evidence import BlockRead, Evidence
from ledger.evm.calls import ZERO32, contract_call
from ledger.evm.chain import Chain, TxError, container_bytes, doc_id_bytes
from ledger.evm.codes import STATE
from ledger.evm.events import Event, Events, derive
from ledger.evm.index import EvmIndex
from ledger.evm.refusals import refusal
from ledger.evm.text import KIND_OF, country_text, doc_text, org_name, when
from ledger.interface import HistoryEntry, Identities, Receipt, document_summary, single
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
    transaction against it and as its contract call is built."""

    def __init__(self, ledger: EvmLedger) -> None:
        self._ledger = ledger

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self._ledger.document(doc_id, sync=False)

    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        return self._ledger._index.existing(doc_ids)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self._ledger.pickup_right(container)

    def party(self, org_id: str) -> Actor | None:
        return self._ledger._identities.party(org_id)

    def address(self, org_id: str | None) -> str:
        return self._ledger._address(org_id)

    def batch_position(self, doc_id: str) -> tuple[bytes, int, list[bytes]] | None:
        return self._ledger._batch_position(doc_id)

    def containers(self, doc_id: str) -> list[str]:
        return self._ledger._index.facts(doc_id)[0]


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
        return single(self.submit_many([signed]))

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
            apply(signed.tx, actor, view)
            account = self._account(signed.tx.actor)
            fn = contract_call(signed.tx, self._contract.functions, view)
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
        """Replay the call against the state of its block: the rule it broke there (in a
        race, the winner's transaction came first)."""
        tx = retry(lambda: self._chain.w3.eth.get_transaction(flight.tx_hash))  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": "0x" + bytes(tx["input"]).hex()}
        response = retry(
            lambda: self._chain.w3.provider.make_request(
                "eth_call",  # type: ignore[arg-type]
                [call, hex(int(receipt["blockNumber"]))],
            )
        )
        error = response.get("error")
        wire = self._index.wire(flight.tx_hash)
        if error and wire is not None:
            return refusal(self._chain.decode_revert(error.get("data")), wire, self._org)
        return Refusal(RefusalKind.CONFLICT, f"the chain refused transaction {flight.tx_hash}")

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
        self, block: int, events: list[Event]
    ) -> tuple[str, str, str, str | None, dict[str, Any]]:
        """Another node's transaction: what the events say, at the block's time."""
        op, actor, doc, details = derive(events, self._org, self._document_issuer)
        stamp = int(retry(lambda: self._chain.w3.eth.get_block(block))["timestamp"])
        return op, actor, utc(when(stamp)), doc, details

    def _document_issuer(self, doc_id: str) -> str:
        record = self.document(doc_id, sync=False)
        return record.issuer if record else "unknown"

    # --- receipts ---------------------------------------------------------------------

    def _receipt_or_none(self, tx_hash: str) -> TxReceipt | None:
        try:
            return retry(lambda: self._chain.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except (TransactionNotFound, TimeExhausted):
            return None

    def _receipt(self, flight: _InFlight, receipt: TxReceipt) -> Receipt:
        seq, tx_id, log_index, docs = self._index.entry_of(flight.tx_hash)
        return Receipt(
            flight.tx_id if tx_id is None else tx_id,
            seq,
            flight.tx_hash,
            "",
            [],
            [document_summary(d, self.document(d, sync=False)) for d in docs],
            flight.duplicate,
            block=int(receipt["blockNumber"]),
            tx_hash=flight.tx_hash,
            log_index=log_index,
        )

    # --- reading ----------------------------------------------------------------------

    def document(
        self, doc_id: str, sync: bool = True, block: int | Literal["latest"] = "latest"
    ) -> DocumentRecord | None:
        """The contract's record of a document (in the state of ``block``), with the index's
        facts (containers, links, what superseded it, its batch)."""
        if not is_doc_id(doc_id):
            return None
        if sync:
            self.sync()
        values = retry(
            lambda: self._contract.functions.document(doc_id_bytes(doc_id)).call(
                block_identifier=block
            )
        )
        state, kind, issuer, country, stamp, controller, surrendered_by, endorsee, to_order = values
        batch = self._index.batch_of(doc_id)
        if int(state) == 0:
            if batch is None:
                return None
            b_issuer, kind, country, stamp, _ = retry(
                lambda: self._contract.functions.batch(doc_id_bytes(batch)).call(
                    block_identifier=block
                )
            )
            issuer, state = b_issuer, 1
        containers, links = self._index.facts(doc_id)
        record = DocumentRecord(
            id=doc_id,
            kind=KIND_OF[int(kind)],
            issuer=self._org(issuer) or str(issuer),
            country=country_text(bytes(country)),
            state=DocState(STATE[int(state)] or "ISSUED"),
            issued_at=when(int(stamp)),
            containers=tuple(containers),
            links=tuple(links),
            supersedes=self._index.supersedes(doc_id),
            superseded_by=self._index.superseded_by(doc_id),
            batch=batch,
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

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """The contract's record of ``digest``, read in the state of one block, and that
        block (see ``Ledger.evidence``). Records are keyed by digest alone on the contract
        today, so this is the record whatever its issuer."""
        if not is_doc_id(digest):
            return None
        self.sync()
        block = retry(lambda: self._chain.w3.eth.get_block("latest"))
        number = int(block["number"])
        record = self.document(digest, sync=False, block=number)
        if record is None:
            return None
        read = BlockRead(
            self._config.chain_id,
            str(self._contract.address),
            number,
            "0x" + bytes(block["hash"]).hex(),
        )
        return Evidence.of(record, read)

    def _batch_position(self, doc_id: str) -> tuple[bytes, int, list[bytes]] | None:
        """For a batch member not yet changed on its own: its root, index and proof."""
        root = self._index.batch_of(doc_id)
        if root is None:
            return None
        state = retry(lambda: self._contract.functions.document(doc_id_bytes(doc_id)).call())[0]
        if int(state) != 0:
            return None
        digests = self._index.batch_digests(root)
        store = merkle.MemoryNodeStore()
        for d in digests:
            store.append(merkle.leaf_hash(d.encode()))
        index = digests.index(doc_id)
        return doc_id_bytes(root), index, merkle.inclusion_proof(store, index, len(digests))

    def pickup_right(self, container: str) -> PickupRight | None:
        values = retry(
            lambda: self._contract.functions.pickupRight(container_bytes(container)).call()
        )
        ebl, holder, released_by, expires, picked_at, picked_by = values
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
        )

    def history(self, doc_id: str) -> list[HistoryEntry]:
        self.sync()
        return self._index.entries(self._index.entry_seqs({doc_id}))

    def links(self, doc_id: str) -> list[str]:
        self.sync()
        return self._index.links(doc_id)

    def trace(self, doc_id: str, max_documents: int = 100) -> list[HistoryEntry]:
        """Every entry that touched the document or any document linked to it (transitively,
        bounded), in chain order."""
        self.sync()
        return self._index.entries(
            self._index.entry_seqs(self._index.linked(doc_id, max_documents))
        )

    def documents_for_container(self, container: str) -> list[str]:
        self.sync()
        return self._index.documents_for_container(container)

    def held_by(self, org_id: str) -> list[str]:
        """eBLs the organisation controls now: the index names the candidates (eBLs it
        ever touched), the contract says who holds each."""
        self.sync()
        out = []
        for doc_id in self._index.with_facts():
            record = self.document(doc_id, sync=False)
            if record is not None and record.kind is DocumentKind.EBL and record.holder == org_id:
                out.append(doc_id)
        return out

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


__all__ = ["EvmConfig", "EvmLedger", "retry"]
