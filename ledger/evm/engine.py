"""The EVM ledger engine: the same ``Ledger`` semantics, on the TradeLedger contract.

A transaction is checked here exactly as the embedded engine checks it (clock skew, a
trusted and unrevoked ledger certificate, its signature, then ``chaincode.lifecycle.apply``),
so a refusal reads the same on both engines. Accepted, it becomes one call of the contract,
signed locally with the actor's secp256k1 ledger key (which is also its EVM account; no
unlocked node accounts). The contract enforces the same rules again: it is the authority
when two nodes race, and a transaction it reverts is checked again by the chaincode on the
state it was mined in (failing that, its custom error is decoded into the chaincode's text).

The hot path is two JSON-RPC round trips: ``eth_sendRawTransaction``, then one batch with
the receipt and the new logs. The chaincode checks against the index's mirror of the
contract's state, kept from the contract's events (no reads from the node); the gas limit
comes from the call's shape (``ledger.evm.calls.gas_limit``), not from an estimate; nonces
are counted locally. A mirror that is behind another node's transactions can only make a
check refuse what the chain would accept (then the engine catches up and checks again) or
accept what the chain refuses (then the contract reverts it, and the refusal is read as
above).

Every submit has a deadline (``SUBMIT_TIMEOUT``): retries, backoff and the wait for the
receipt all end within it, with ``SubmitTimeout`` naming the transaction. One account's
transactions are signed and sent one at a time, in nonce order, so no transaction waits in
the node behind a nonce that was never sent; a nonce whose transaction the node refused is
given back.

Identifiers: our transaction id stays the digest of the signed transaction. The raw EVM
transaction is stored (``sent``) before it is broadcast, keyed by that id, so a resubmission,
a crash or a dropped connection resends the *same* raw bytes: its nonce makes that
idempotent, and a transaction is never executed twice.

The indexer pages through the contract's logs from the deployment block in bounded ranges
and keeps a cursor and its tables in one SQLite file; each page commits with its cursor, so
it resumes where it stopped. History, trace, links and container look-ups read the index;
``document`` and ``pickup_right`` read the contract itself.

What is embedded-only: signed checkpoints (C2SP notes), RFC 9162 inclusion proofs of log
entries, offline proof bundles and ``verify_log`` (``ledger.interface.ProvableLedger``). On
the chain the blocks are the log and consensus (QBFT) protects it; this engine is a plain
``Ledger``, and a verifier's evidence names the block whose state it read.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
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
from web3.exceptions import ProviderConnectionError, Web3RPCError
from web3.types import RPCEndpoint

from chaincode.documents.registry import DocumentKind
from chaincode.evm import artifact
from chaincode.identifiers import is_doc_id
from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply
from chaincode.records import Actor, DocState, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from ledger.admission import admit
from ledger.evidence import BlockRead, Evidence
from ledger.evm.calls import ZERO32, contract_call, gas_limit
from ledger.evm.chain import Chain, CountingProvider, container_bytes, doc_id_bytes
from ledger.evm.codes import AWAY_OF, STATE
from ledger.evm.control import with_control
from ledger.evm.events import Event, Events, as_int, derive
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
SUBMIT_TIMEOUT = 30.0  # seconds from a transaction's send to its receipt, retries included
# Waits between receipt polls: none at first (a node that mines on arrival, as anvil does,
# has it already), then growing to a quarter second (a QBFT block every second or two).
RECEIPT_POLLS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)
LOG_PAGE = 2_000  # blocks per eth_getLogs call


class SubmitTimeout(TimeoutError):  # noqa: N818 (a timeout, as TimeoutError)
    """A transaction that was sent (or could not be sent) but not mined within the deadline.
    Its outcome is unknown, not refused: submitting the same signed transaction again resends
    the same bytes and answers with its outcome."""

    def __init__(self, tx_id: str, tx_hash: str, seconds: float, why: str) -> None:
        super().__init__(
            f"transaction {tx_id} (EVM {tx_hash}) {why} within {seconds:.0f} s; it may still "
            "be mined: submit the same signed transaction again to learn its outcome"
        )
        self.tx_id = tx_id
        self.tx_hash = tx_hash


@dataclass(frozen=True)
class EvmConfig:
    """Where the contract is: written to the home by ``network.evm.home.deploy``."""

    rpc: str
    contract: str
    deploy_block: int
    chain_id: int


def retry(
    call: Callable[[], T], attempts: int = RETRY_ATTEMPTS, deadline: float | None = None
) -> T:
    """``call()``, retried with doubling backoff on transport failures only, and never
    past ``deadline`` (a ``time.monotonic()`` value)."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return call()
        except RETRYABLE:
            late = deadline is not None and time.monotonic() + delay > deadline
            if attempt == attempts - 1 or late:
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
    deadline: float
    gas: int = 0
    receipt: dict[str, Any] | None = None  # when the node answered the send with it


class _ChainView:
    """The contract's state as the index mirrors it, as the chaincode checks a transaction
    against it (``chaincode.lifecycle.StateView``) and as its contract call is built
    (``ledger.evm.calls.CallState``). Nothing here asks the node."""

    def __init__(self, ledger: EvmLedger) -> None:
        self._ledger = ledger
        self._index = ledger._index

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        owner = self._index.issuer_of(doc_id, issuer)
        return None if owner is None else self._index.record(doc_id, owner)

    def issuers(self, doc_id: str) -> list[str]:
        return self._index.issuers(doc_id)

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return self._index.existing(doc_ids, issuer)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self._index.right(container)

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return self._index.released_under(container, ebl, carrier)

    def party(self, org_id: str) -> Actor | None:
        return self._ledger._identities.party(org_id)

    def address(self, org_id: str | None) -> str:
        return self._ledger._address(org_id)

    def number(self, org_id: str) -> int:
        return self._ledger._number(org_id)

    def batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]:
        return self._ledger._batch_position(doc_id, root, issuer)

    def containers(self, doc_id: str, issuer: str) -> list[str]:
        return self._index.facts(doc_id, issuer)[0]


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
        self._sync_send: bool | None = None  # does the node offer eth_sendRawTransactionSync?
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
            # Alone, a transaction is sent with its receipt awaited in the same call (where
            # the node offers it); several are sent first and collected after (pipelined).
            wait = len(signed) == 1
            for item in signed:
                outcome = self._send(item, wait)
                if isinstance(outcome, Refusal) and any(isinstance(r, _InFlight) for r in results):
                    results = [self._collect(r) if isinstance(r, _InFlight) else r for r in results]
                    outcome = self._send(item, wait)
                results.append(outcome)
            return [self._collect(r) if isinstance(r, _InFlight) else r for r in results]

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        """As ``submit_many``, answering with each accepted transaction's entry index."""
        return [r if isinstance(r, Refusal) else r.index for r in self.submit_many(signed)]

    def _send(self, signed: SignedTx, wait: bool = False) -> Refusal | _InFlight:
        deadline = time.monotonic() + SUBMIT_TIMEOUT
        previous = self._sent(signed.id, deadline)
        if previous is not None:
            return previous
        try:
            actor = self._authenticate(signed)
            effects = self._check(signed.tx, actor)
            account = self._account(signed.tx.actor)
            fn = contract_call(signed.tx, effects, self._contract.functions, _ChainView(self))
        except Refusal as refused:
            return refused
        data = bytes.fromhex(fn._encode_transaction_data()[2:])
        gas = gas_limit(fn)
        chain = self._chain
        sync = wait and self._sync_send is not False
        # One account's transactions take their nonces, and reach the node, one at a time
        # and in nonce order, so that none waits in the node behind a nonce never sent. A
        # send that waits for its receipt (``sync``) leaves the lock first: later nonces may
        # then arrive before it, and the node holds them until it does.
        with chain.sending(account):
            nonce = chain.nonce(account)
            raw = chain.sign(account, self._contract.address, data, gas, nonce=nonce)
            tx_hash = "0x" + keccak(raw).hex()
            # Stored before it is broadcast: whatever happens next, the same bytes are resent.
            self._index.record_sent(signed.id, tx_hash, raw, signed.wire["tx"])
            if signed.tx.op is Op.ANCHOR_BATCH:
                self._index.remember_batch(signed.tx)
            if not sync:
                mined = self._sending(signed.id, tx_hash, raw, account, nonce, deadline, False)
        if sync:
            mined = self._sending(signed.id, tx_hash, raw, account, nonce, deadline, True)
        return _InFlight(signed.id, tx_hash, raw, False, deadline, gas, mined)

    def _sending(
        self,
        tx_id: str,
        tx_hash: str,
        raw: bytes,
        account: LocalAccount,
        nonce: int,
        deadline: float,
        wait: bool,
    ) -> dict[str, Any] | None:
        """Broadcast; a nonce whose transaction the node refused is given back (or, when
        later ones were taken meanwhile, asked of the node again, which then names the
        first one missing: the next transaction fills the gap)."""
        chain = self._chain
        try:
            return self._broadcast(raw, deadline, wait)
        except (Web3RPCError, ValueError) as exc:  # the node refused it: nothing was sent
            with chain.sending(account) if wait else contextlib.nullcontext():
                chain.give_back(account, nonce)
            self._index.forget_sent(tx_id)
            raise RuntimeError(f"the node refused transaction {tx_id}: {exc}") from exc
        except RETRYABLE as exc:  # sent or not, no one can say: ask the node next time
            chain.forget_nonce(account)
            raise SubmitTimeout(tx_id, tx_hash, SUBMIT_TIMEOUT, "could not be sent") from exc

    def _check(self, tx: Transaction, actor: Actor) -> Effects:
        """The chaincode's verdict on the mirror; a refusal is confirmed on the chain's
        head first (the mirror may be behind another node's transactions)."""
        try:
            return apply(tx, actor, _ChainView(self))
        except Refusal:
            self.sync()
            return apply(tx, actor, _ChainView(self))

    def _sent(self, tx_id: str, deadline: float) -> _InFlight | None:
        """A transaction this node already sent: resend its raw bytes (idempotent) and wait
        for it again. One that reverted is tried afresh, as the embedded engine re-runs a
        refused transaction."""
        row = self._index.sent(tx_id)
        if row is None or row[2] == "reverted":
            return None
        tx_hash, raw, _ = row
        if self._index.entry_of(tx_hash)[0] < 0:
            # Mined long ago, or replaced: the receipt (or its absence) will say.
            with contextlib.suppress(Web3RPCError, ValueError):
                self._broadcast(raw, deadline)
        return _InFlight(tx_id, tx_hash, raw, duplicate=True, deadline=deadline)

    def _broadcast(
        self, raw: bytes, deadline: float | None = None, wait: bool = False
    ) -> dict[str, Any] | None:
        """Send the raw transaction; the same bytes already with the node, or already mined,
        count as sent. The node's other answers raise (``Web3RPCError``). With ``wait``, and
        a node that offers EIP-7966's ``eth_sendRawTransactionSync`` (anvil, geth), the
        answer is the receipt: one round trip where polling would take several."""
        if wait and self._sync_send is not False:
            receipt = self._send_sync(raw, deadline)
            if receipt is not False:
                return receipt if isinstance(receipt, dict) else None
        try:
            retry(lambda: self._chain.w3.eth.send_raw_transaction(raw), deadline=deadline)
        except (Web3RPCError, ValueError) as exc:
            text = str(exc).lower()
            if "already known" in text or "already imported" in text:
                return None
            if "nonce too low" in text and self._receipt_raw("0x" + keccak(raw).hex()):
                return None
            raise
        return None

    def _send_sync(self, raw: bytes, deadline: float | None) -> dict[str, Any] | bool:
        """``eth_sendRawTransactionSync``: the receipt; True when sent but not (yet) mined;
        False when the node does not offer the method (and it is not asked again)."""
        # Bounded by this submit's deadline, whatever the node's own wait (anvil takes no
        # timeout and waits 30 s): past it, the receipt is polled for until the deadline.
        provider = self._chain.w3.provider
        assert isinstance(provider, CountingProvider)
        left = SUBMIT_TIMEOUT if deadline is None else deadline - time.monotonic()
        try:
            response = provider.request_within(
                "eth_sendRawTransactionSync", ["0x" + raw.hex()], max(left, 0.05)
            )
        except requests.exceptions.Timeout:
            return True  # the node has it, or will answer for it when asked again
        error = response.get("error")
        if not error:
            self._sync_send = True
            return dict(response["result"])
        text = str(error.get("message", "")).lower()
        if error.get("code") == -32601 or "not found" in text or "not supported" in text:
            self._sync_send = False
            return False
        if "already known" in text or "already imported" in text or "timeout" in text:
            return True  # with the node: its receipt is polled for
        raise Web3RPCError(str(error))

    def _collect(self, flight: _InFlight) -> Receipt | Refusal:
        """The transaction's outcome: one batch with its receipt and the logs since the
        index's cursor (which hold its own), polled until the deadline."""
        for wait in itertools.chain(RECEIPT_POLLS, itertools.repeat(RECEIPT_POLLS[-1])):
            seq = self._index.entry_of(flight.tx_hash)[0]
            if seq >= 0:  # indexed: mined, and it succeeded (a reverted one has no logs)
                return self._receipt(flight)
            receipt = flight.receipt or self._sync_step(
                [(RPCEndpoint("eth_getTransactionReceipt"), [flight.tx_hash])], flight.deadline
            )
            if receipt is not None:
                block = as_int(receipt["blockNumber"])
                if as_int(receipt["status"]) != 1:
                    self._index.mark_reverted(flight.tx_hash)
                    return self._revert_reason(flight, block, as_int(receipt["gasUsed"]))
                self.sync(until=block)
                return self._receipt(flight)
            if time.monotonic() + wait > flight.deadline:
                raise SubmitTimeout(flight.tx_id, flight.tx_hash, SUBMIT_TIMEOUT, "was not mined")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _revert_reason(self, flight: _InFlight, block: int, gas_used: int) -> Refusal:
        """The rule the transaction broke where it was mined (in a race, after the winner's).
        The chaincode, run again on the state now, names it as the embedded engine would;
        failing that, the contract's own error, replayed against the state of its block."""
        if flight.gas and gas_used >= flight.gas:
            raise RuntimeError(
                f"transaction {flight.tx_id} ran out of gas (limit {flight.gas}): "
                "ledger.evm.calls.gas_limit is too low for it"
            )
        wire = self._index.wire(flight.tx_hash)
        if wire is not None:
            again = self._recheck(wire, block)
            if again is not None:
                return again
        tx = retry(lambda: self._chain.w3.eth.get_transaction(flight.tx_hash))  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": "0x" + bytes(tx["input"]).hex()}
        response = retry(
            lambda: self._chain.w3.provider.make_request(
                RPCEndpoint("eth_call"), [call, hex(block)]
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
        except Refusal as refused:
            return refused
        return None

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
        """Index the contract's logs up to the chain's head (or at least ``until``), a page
        of blocks per round trip; each page commits with its cursor."""
        while True:
            cursor = int(self._meta("cursor") or self._config.deploy_block)
            if until is not None and cursor > until:
                return
            if self._sync_step([], None):
                return

    def _sync_step(self, ask: list[tuple[RPCEndpoint, Any]], deadline: float | None) -> Any:
        """One round trip: ``ask``'s calls, the head's number and the next page of logs,
        indexed. Answers the first call's result when asked for one, else whether the
        index has caught up with the head."""
        with self._sync_lock:
            cursor = int(self._meta("cursor") or self._config.deploy_block)
            end = cursor + self._page - 1
            query = {
                "address": self._contract.address,
                "fromBlock": hex(cursor),
                "toBlock": hex(end),
            }
            calls = [
                *ask,
                (RPCEndpoint("eth_blockNumber"), []),
                (RPCEndpoint("eth_getLogs"), [query]),
            ]
            answers = retry(lambda: self._batch(calls), deadline=deadline)
            head = as_int(answers[len(ask)]["result"])
            logs = answers[len(ask) + 1]
            if "error" in logs:  # a page starting beyond the head: nothing new
                if head >= cursor:
                    raise RuntimeError(f"eth_getLogs failed: {logs['error']}")
                found: list[Any] = []
            else:
                found = logs["result"]
            if head >= cursor:
                self._index.commit_page(
                    self._events.by_transaction(found), min(end, head) + 1, self
                )
            if ask:
                first = answers[0]
                if "error" in first:
                    raise RuntimeError(f"{ask[0][0]} failed: {first['error']}")
                return first.get("result")
            return end >= head

    def _batch(self, calls: list[tuple[RPCEndpoint, Any]]) -> list[dict[str, Any]]:
        provider = self._chain.w3.provider
        assert isinstance(provider, CountingProvider)
        answers = provider.make_batch_request(calls)
        if not isinstance(answers, list):
            raise RuntimeError(f"the node refused a batch request: {answers}")
        by_id = sorted(answers, key=lambda a: int(a.get("id") or 0))
        return [dict(a) for a in by_id]

    def block_time(self, block: int) -> int:
        """A block's time (for logs that do not carry it)."""
        return int(retry(lambda: self._chain.w3.eth.get_block(block))["timestamp"])

    def derive(
        self, events: list[Event], numbered: Callable[[int], str]
    ) -> tuple[str, str, str | None, dict[str, Any]]:
        """Another node's transaction: what its events say."""
        return derive(events, self._org, numbered)

    # --- receipts ---------------------------------------------------------------------

    def _receipt_raw(self, tx_hash: str) -> dict[str, Any] | None:
        response = retry(
            lambda: self._chain.w3.provider.make_request(
                RPCEndpoint("eth_getTransactionReceipt"), [tx_hash]
            )
        )
        result = response.get("result")
        return None if result is None else dict(result)

    def _receipt(self, flight: _InFlight) -> Receipt:
        seq, tx_id, log_index, records = self._index.entry_of(flight.tx_hash)
        return Receipt(
            flight.tx_id if tx_id is None else tx_id,
            seq,
            flight.tx_hash,
            "",
            [],
            [document_summary(d, self._index.record(d, issuer)) for d, issuer in records],
            flight.duplicate,
            block=self._index.block_of(flight.tx_hash),
            tx_hash=flight.tx_hash,
            log_index=log_index,
        )

    # --- reading ----------------------------------------------------------------------

    def document(
        self,
        doc_id: str,
        issuer: str | None = None,
        sync: bool = True,
        block: int | Literal["latest"] = "latest",
    ) -> DocumentRecord | None:
        """``issuer``'s record of the digest (by default the digest's first record, as the
        index saw the anchors in chain order): the contract's record (in the state of
        ``block``), with the index's facts (containers, links, succession, its batch)."""
        if not is_doc_id(doc_id):
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
        values = retry(
            lambda: self._contract.functions.document(raw, number).call(block_identifier=block)
        )
        state, kind, issuer_at, country, stamp, controller, surrendered_by, endorsee, to_order = (
            values[:9]
        )
        # Whether control is elsewhere, as the contract says; where, as its events said.
        control = {k: v for k, v in self._index.control_of(doc_id, owner).items() if k != "away"}
        away = AWAY_OF[int(values[9]) & 3]
        if away is not None:
            control["away"] = away.value
        root = None
        if int(state) == 0:
            root = self._index.batch_of(doc_id, owner)
            if root is None:
                return None
            index, proof = self._batch_position(doc_id, root, owner)
            state = retry(
                lambda: self._contract.functions.batchDocumentState(
                    raw, doc_id_bytes(root), number, index, proof
                ).call(block_identifier=block)
            )
            if int(state) == 0:
                return None
            issuer_at, kind, country, stamp, _ = retry(
                lambda: self._contract.functions.batch(doc_id_bytes(root), number).call(
                    block_identifier=block
                )
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
            record = with_control(record, control)
        return record

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, the first to anchor it first."""
        self.sync()
        return self._index.issuers(doc_id)

    def _number(self, org_id: str) -> int:
        """The organisation's number in the contract (0: not registered); a registered
        organisation keeps its number for ever (a key rotation moves it to a new account).
        The index knows it from the registration's event; failing that, the contract."""
        if org_id in self._numbers:
            return self._numbers[org_id]
        address = org_id if org_id.startswith("0x") else self._address_of.get(org_id)
        if address is None:
            return 0
        number = self._index.number_of(address)
        if number is None:
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

    def pickup_right(self, container: str) -> PickupRight | None:
        """The container's pickup right as the contract holds it (delegations: the index's)."""
        values = retry(
            lambda: self._contract.functions.pickupRight(container_bytes(container)).call()
        )
        ebl, holder, released_by, expires, picked_at, picked_by, terminal, country = values
        if bytes(ebl) == ZERO32:
            return None
        mirrored = self._index.right(container)
        return PickupRight(
            container,
            doc_text(bytes(ebl)),
            self._org(holder) or "",
            when(int(expires)),
            self._org(released_by) or "",
            mirrored.delegations if mirrored is not None else (),
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
        """eBLs the organisation controls now, as the index mirrors the contract's state."""
        self.sync()
        return self._index.held_by(org_id)

    def size(self) -> int:
        """Indexed document entries (one per contract transaction that changed a document)."""
        self.sync()
        return self._index.size()

    def queue_depth(self) -> int:
        """Transactions being checked, sent or awaited by this node (for metrics)."""
        return self._pending

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """``issuer``'s record of ``digest`` read in the state of one block, and that block
        (see ``Ledger.evidence``); if ``issuer`` anchored no record of it, the digest's first
        record (another issuer's), so that the verifier can name who did."""
        if not is_doc_id(digest):
            return None
        self.sync()
        block = retry(lambda: self._chain.w3.eth.get_block("latest"))
        number = int(block["number"])
        record = self.document(digest, issuer, sync=False, block=number) or self.document(
            digest, None, sync=False, block=number
        )
        if record is None:
            return None
        read = BlockRead(
            self._config.chain_id,
            str(self._contract.address),
            number,
            "0x" + bytes(block["hash"]).hex(),
        )
        return Evidence.of(record, read)

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


__all__ = ["EvmConfig", "EvmLedger", "SubmitTimeout", "retry"]
