"""The submit path: a signed transaction checked, sent as one contract call, and its
outcome collected.

A transaction is checked exactly as the embedded engine checks it (``ledger.admission``,
then ``chaincode.lifecycle.apply`` on the mirror), signed locally with the actor's
secp256k1 ledger key, and sent. The hot path is two JSON-RPC round trips:
``eth_sendRawTransaction`` (``eth_sendRawTransactionSync`` where the node offers it), then
one batch with the receipt and the new logs. A transaction the contract reverts is checked
again by the chaincode on the state it was mined in; failing that, its custom error is
decoded into the chaincode's text.

Every submit has a deadline (``SUBMIT_TIMEOUT``): retries, backoff and the wait for the
receipt all end within it, with ``SubmitTimeout`` naming the transaction. One account's
transactions are signed and sent one at a time, in nonce order; a nonce whose transaction
the node refused is given back. The raw transaction is stored before it is broadcast, so
that a resubmission resends the same bytes (idempotent through its nonce).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.exceptions import Web3RPCError
from web3.types import RPCEndpoint

from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply
from chaincode.records import Actor
from chaincode.transactions import Op, Transaction
from ledger.admission import admit
from ledger.evm.calls import contract_call, gas_limit
from ledger.evm.chain import Chain, CountingProvider
from ledger.evm.events import as_int
from ledger.evm.index import EvmIndex
from ledger.evm.mirror import Mirror
from ledger.evm.reads import ContractReads
from ledger.evm.refusals import refusal
from ledger.evm.retry import RETRYABLE, retry
from ledger.evm.view import MirrorView
from ledger.interface import Identities, Receipt, document_summary
from ledger.signed_tx import SignedTx

SUBMIT_TIMEOUT = 30.0  # seconds from a transaction's send to its receipt, retries included
# Waits between receipt polls: none at first (a node that mines on arrival, as anvil does,
# has it already), then growing to a quarter second (a QBFT block every second or two).
RECEIPT_POLLS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)


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


@dataclass
class InFlight:
    """A transaction sent and not collected yet."""

    tx_id: str
    tx_hash: str
    raw: bytes
    duplicate: bool
    deadline: float
    gas: int = 0
    receipt: dict[str, Any] | None = None  # when the node answered the send with it


class Submitter:
    """Sends the transactions of the organisations whose ledger keys this node holds."""

    def __init__(
        self,
        chain: Chain,
        contract: Contract,
        index: EvmIndex,
        mirror: Mirror,
        reads: ContractReads,
        identities: Identities,
        keys: Callable[[str], LocalAccount | None],
        clock: Callable[[], datetime.datetime],
    ) -> None:
        """``keys`` gives the local signing account of an organisation, or None."""
        self._chain = chain
        self._contract = contract
        self._index = index
        self._mirror = mirror
        self._reads = reads
        self._identities = identities
        self._keys = keys
        self._accounts: dict[str, LocalAccount | None] = {}
        self._clock = clock
        self._view = MirrorView(index, reads, identities)
        self._sync_send: bool | None = None  # does the node offer eth_sendRawTransactionSync?

    def send(self, signed: SignedTx, wait: bool = False) -> Refusal | InFlight:
        deadline = time.monotonic() + SUBMIT_TIMEOUT
        previous = self._sent(signed.id, deadline)
        if previous is not None:
            return previous
        try:
            actor = self._authenticate(signed)
            effects = self._check(signed.tx, actor)
            account = self.account(signed.tx.actor)
            fn = contract_call(signed.tx, effects, self._contract.functions, self._view)
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
        return InFlight(signed.id, tx_hash, raw, False, deadline, gas, mined)

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
            return self.broadcast(raw, deadline, wait)
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
            return apply(tx, actor, self._view)
        except Refusal:
            self._mirror.sync()
            return apply(tx, actor, self._view)

    def _sent(self, tx_id: str, deadline: float) -> InFlight | None:
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
                self.broadcast(raw, deadline)
        return InFlight(tx_id, tx_hash, raw, duplicate=True, deadline=deadline)

    def broadcast(
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

    def collect(self, flight: InFlight) -> Receipt | Refusal:
        """The transaction's outcome: one batch with its receipt and the logs since the
        index's cursor (which hold its own), polled until the deadline."""
        for wait in itertools.chain(RECEIPT_POLLS, itertools.repeat(RECEIPT_POLLS[-1])):
            seq = self._index.entry_of(flight.tx_hash)[0]
            if seq >= 0:  # indexed: mined, and it succeeded (a reverted one has no logs)
                return self._receipt(flight)
            receipt = flight.receipt or self._mirror.sync_step(
                [(RPCEndpoint("eth_getTransactionReceipt"), [flight.tx_hash])], flight.deadline
            )
            if receipt is not None:
                block = as_int(receipt["blockNumber"])
                if as_int(receipt["status"]) != 1:
                    self._index.mark_reverted(flight.tx_hash)
                    return self._revert_reason(flight, block, as_int(receipt["gasUsed"]))
                self._mirror.sync(until=block)
                return self._receipt(flight)
            if time.monotonic() + wait > flight.deadline:
                raise SubmitTimeout(flight.tx_id, flight.tx_hash, SUBMIT_TIMEOUT, "was not mined")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _revert_reason(self, flight: InFlight, block: int, gas_used: int) -> Refusal:
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
            return refusal(self._chain.decode_revert(error.get("data")), wire, self._reads.org)
        return Refusal(RefusalKind.CONFLICT, f"the chain refused transaction {flight.tx_hash}")

    def _recheck(self, wire: dict[str, Any], block: int) -> Refusal | None:
        """The chaincode's refusal of a transaction (its signed wire form) on the state
        indexed up to ``block``, or None if the chaincode would accept it there."""
        self._mirror.sync(until=block)
        tx = Transaction.model_validate(wire, strict=False)
        actor = self._identities.party(tx.actor)
        if actor is None:
            return None
        try:
            apply(tx, actor, self._view)
        except Refusal as refused:
            return refused
        return None

    def _authenticate(self, signed: SignedTx) -> Actor:
        """The embedded engine's checks, in its order and with its texts."""
        return admit(signed, self._identities, self._clock())

    def account(self, org_id: str) -> LocalAccount:
        """The organisation's local signing account (a refusal if this node has no key)."""
        if org_id not in self._accounts:
            self._accounts[org_id] = self._keys(org_id)
        account = self._accounts[org_id]
        if account is None:
            raise Refusal(RefusalKind.FORBIDDEN, f"this node holds no ledger key of {org_id}")
        return account

    # --- receipts ---------------------------------------------------------------------

    def _receipt_raw(self, tx_hash: str) -> dict[str, Any] | None:
        response = retry(
            lambda: self._chain.w3.provider.make_request(
                RPCEndpoint("eth_getTransactionReceipt"), [tx_hash]
            )
        )
        result = response.get("result")
        return None if result is None else dict(result)

    def _receipt(self, flight: InFlight) -> Receipt:
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


__all__ = ["RECEIPT_POLLS", "SUBMIT_TIMEOUT", "InFlight", "SubmitTimeout", "Submitter"]
