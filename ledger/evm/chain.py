"""The EVM client path shared by the ledger engine and the gas benchmark: one JSON-RPC node,
transactions signed locally with per-account nonces, and the contract's custom errors decoded.

Also how our identifiers become the contract's ``bytes32`` / ``bytes2`` arguments (the
numbers it uses for roles, kinds and states are in ``ledger.evm.codes``). It lives in ``ledger``
(not ``network``) because the EVM engine needs it and ``ledger`` may not import ``network``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_typing import URI
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import Web3RPCError
from web3.types import RPCEndpoint, RPCResponse, TxReceipt

from chaincode.evm import artifact as ledger_artifact
from chaincode.identifiers import is_doc_id
from ledger.evm.codes import KIND


class TxError(RuntimeError):
    """A transaction or call reverted; ``error`` names the custom error when it is ours."""

    def __init__(self, message: str, error: str | None = None, args: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.error = error
        self.error_args = args


def doc_id_bytes(doc_id: str) -> bytes:
    """``sha256:<hex>`` as the contract's bytes32."""
    if not is_doc_id(doc_id):
        raise ValueError(f"not a document id: {doc_id!r}")
    return bytes.fromhex(doc_id[7:])


def container_bytes(container: str) -> bytes:
    """An ISO 6346 container number as the contract's bytes32 (ASCII, zero-padded)."""
    return container.encode("ascii").ljust(32, b"\0")


def country_bytes(country: str | None) -> bytes:
    return b"\0\0" if country is None else country.encode("ascii")


def kind_country(kind: str, country: str | None) -> bytes:
    """``issue``'s second argument: the kind byte, then the two country bytes."""
    return bytes([KIND[kind]]) + country_bytes(country)


def where_bytes(where: str | None, carrier_platform: str | None = None) -> bytes:
    """``moveControl``'s logged ``where``: a token registry ``eip155:<chain>:<address>`` as
    (chain id << 160 | address); PINT platform codes as ASCII, the platform in bytes 0-3 and
    a received eBL's carrier platform in bytes 4-7."""
    if where is not None and where.startswith("eip155:"):
        _, chain, address = where.split(":")
        return ((int(chain) << 160) | int(address, 16)).to_bytes(32, "big")
    first = (where or "").encode("ascii").ljust(4, b"\0")
    return (first + (carrier_platform or "").encode("ascii")).ljust(32, b"\0")


def registration_digest(
    chain_id: int, contract: str, account: str, country: str, certificate: bytes
) -> bytes:
    """What an account signs to consent to its registration by ``country``'s authority
    (the contract's ``registrationDigest``)."""
    return keccak(
        abi_encode(
            ["string", "uint256", "address", "address", "bytes2", "bytes32"],
            ["tdx register", chain_id, contract, account, country.encode("ascii"), certificate],
        )
    )


def rotation_digest(
    chain_id: int, contract: str, account: str, next_account: str, certificate: bytes
) -> bytes:
    """What a new account signs to consent to taking over organisation ``account``."""
    return keccak(
        abi_encode(
            ["string", "uint256", "address", "address", "address", "bytes32"],
            ["tdx rotate", chain_id, contract, account, next_account, certificate],
        )
    )


def consent(account: LocalAccount, digest: bytes) -> bytes:
    """The account's EIP-191 signature over ``digest``: its consent, as the contract checks it."""
    return bytes(account.sign_message(encode_defunct(primitive=digest)).signature)


def error_selectors(abi: Sequence[dict[str, Any]]) -> dict[bytes, tuple[str, list[str]]]:
    """The 4-byte selector of each custom error in ``abi``: its name and argument types."""
    table: dict[bytes, tuple[str, list[str]]] = {}
    for entry in abi:
        if entry["type"] == "error":
            types = [i["type"] for i in entry["inputs"]]
            table[keccak(text=f"{entry['name']}({','.join(types)})")[:4]] = (entry["name"], types)
    return table


class CountingProvider(HTTPProvider):
    """An HTTP JSON-RPC provider that counts its round trips (a batch is one) and the time
    spent in them."""

    round_trips = 0
    seconds = 0.0

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        started = time.perf_counter()
        try:
            return super().make_request(method, params)
        finally:
            self.round_trips += 1
            self.seconds += time.perf_counter() - started

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        started = time.perf_counter()
        try:
            return super().make_batch_request(batch_requests)
        finally:
            self.round_trips += 1
            self.seconds += time.perf_counter() - started

    def request_within(self, method: str, params: list[Any], timeout: float) -> dict[str, Any]:
        """One call that gives up after ``timeout`` seconds (``requests.Timeout``), on the
        same HTTP session as every other call (a node's own wait may be longer)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        started = time.perf_counter()
        try:
            raw = self._request_session_manager.make_post_request(
                URI(str(self.endpoint_uri)), json.dumps(body).encode(), timeout=timeout,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
        finally:
            self.round_trips += 1
            self.seconds += time.perf_counter() - started
        answer: dict[str, Any] = json.loads(raw)
        return answer


@dataclass
class Chain:
    """One JSON-RPC node, locally signed transactions and per-account nonces."""

    w3: Web3
    chain_id: int

    @classmethod
    def connect(cls, rpc_url: str) -> Chain:
        provider = CountingProvider(rpc_url, request_kwargs={"timeout": 60})
        if not any(k.lower().endswith("_proxy") for k in os.environ):
            # requests reads the proxy settings from the environment on every call (about a
            # millisecond each here); with none set, that read is skipped.
            session = provider._request_session_manager.cache_and_return_session(
                URI(rpc_url), request_timeout=60
            )
            session.trust_env = False
        w3 = Web3(provider)
        return cls(w3, w3.eth.chain_id)

    @property
    def round_trips(self) -> int:
        """JSON-RPC round trips made so far (a batch is one)."""
        provider = self.w3.provider
        return provider.round_trips if isinstance(provider, CountingProvider) else 0

    @property
    def rpc_seconds(self) -> float:
        """Time spent in JSON-RPC round trips so far (waiting for the node included)."""
        provider = self.w3.provider
        return provider.seconds if isinstance(provider, CountingProvider) else 0.0

    def __post_init__(self) -> None:
        self._nonces: dict[str, int] = {}
        self._nonce_lock = threading.Lock()
        self._senders: dict[str, threading.Lock] = {}
        self._errors: dict[bytes, tuple[str, list[str]]] = {}

    def learn_errors(self, abi: Sequence[dict[str, Any]]) -> None:
        self._errors.update(error_selectors(abi))

    def nonce(self, account: LocalAccount) -> int:
        """The account's next nonce, counted locally after the first look-up; callers on
        several threads each get a different one."""
        with self._nonce_lock:
            if account.address not in self._nonces:
                self._nonces[account.address] = self.w3.eth.get_transaction_count(
                    account.address, "pending"
                )
            n = self._nonces[account.address]
            self._nonces[account.address] = n + 1
            return n

    def sending(self, account: LocalAccount) -> threading.Lock:
        """The account's send lock: held from taking a nonce until the node has the signed
        transaction, so that one account's transactions reach the node in nonce order."""
        with self._nonce_lock:
            return self._senders.setdefault(account.address, threading.Lock())

    def give_back(self, account: LocalAccount, nonce: int) -> None:
        """Return the nonce just taken, whose transaction the node refused (the caller holds
        the account's send lock, so nothing was sent after it)."""
        with self._nonce_lock:
            if self._nonces.get(account.address) == nonce + 1:
                self._nonces[account.address] = nonce
            else:
                self._nonces.pop(account.address, None)

    def forget_nonce(self, account: LocalAccount) -> None:
        """Ask the node again next time (after a transaction that was never accepted)."""
        with self._nonce_lock:
            self._nonces.pop(account.address, None)

    def _fields(self, account: LocalAccount, gas: int, nonce: int | None) -> dict[str, Any]:
        return {
            "from": account.address,
            "chainId": self.chain_id,
            "nonce": self.nonce(account) if nonce is None else nonce,
            "gas": gas,
            "maxFeePerGas": 100 * 10**9,
            "maxPriorityFeePerGas": 10**9,
            "type": 2,
        }

    def decode_revert(self, data: str | bytes | None) -> TxError:
        raw = bytes.fromhex(data[2:]) if isinstance(data, str) else (data or b"")
        known = self._errors.get(raw[:4])
        if known is None:
            return TxError(f"reverted: 0x{raw.hex()}")
        name, types = known
        args = tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, abi_decode(types, raw[4:]), strict=True)
        )
        return TxError(f"{name}{args}", name, args)

    def call_raw(self, tx: dict[str, Any]) -> tuple[bytes | None, TxError | None]:
        """eth_call: the result, or the decoded refusal."""
        response = self.w3.provider.make_request(
            RPCEndpoint("eth_call"),
            [{k: v for k, v in tx.items() if k in ("from", "to", "data")}, "latest"],
        )
        error = response.get("error")
        if error:
            return None, self.decode_revert(error.get("data"))
        return bytes.fromhex(response["result"][2:]), None

    def estimate(self, tx: dict[str, Any]) -> int:
        response = self.w3.provider.make_request(
            RPCEndpoint("eth_estimateGas"),
            [{k: v for k, v in tx.items() if k in ("from", "to", "data")}],
        )
        error = response.get("error")
        if error:
            raise self.decode_revert(error.get("data"))
        return int(response["result"], 16)

    def sign(
        self,
        account: LocalAccount,
        to: str | None,
        data: bytes,
        gas: int,
        nonce: int | None = None,
    ) -> bytes:
        """The signed raw transaction; with the account's next nonce unless given one."""
        tx = self._fields(account, gas, nonce) | {"data": data, "value": 0}
        if to is not None:
            tx["to"] = to
        del tx["from"]
        return bytes(account.sign_transaction(tx).raw_transaction)

    def transact(self, account: LocalAccount, to: str | None, data: bytes) -> TxReceipt:
        """Estimate (which surfaces refusals), sign, send and wait for the receipt."""
        probe: dict[str, Any] = {"from": account.address, "data": "0x" + data.hex()}
        if to is not None:
            probe["to"] = to
        gas = self.estimate(probe)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(
                self.sign(account, to, data, gas + gas // 5 + 10_000)
            )
        except Web3RPCError as error:
            if "nonce too low" not in str(error):
                raise
            # Another client sent from this account since we counted its nonces (a second
            # process with the same deployer): count again from the node, and send once more.
            self.forget_nonce(account)
            tx_hash = self.w3.eth.send_raw_transaction(
                self.sign(account, to, data, gas + gas // 5 + 10_000)
            )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)
        if receipt["status"] != 1:
            raise TxError(f"transaction {tx_hash.hex()} failed")
        return receipt

    def send(self, account: LocalAccount, fn: ContractFunction) -> TxReceipt:
        return self.transact(account, fn.address, bytes.fromhex(fn._encode_transaction_data()[2:]))

    def refusal(self, account: LocalAccount, fn: ContractFunction) -> TxError:
        """The refusal ``fn`` meets when ``account`` calls it now (eth_call, nothing sent)."""
        _, failed = self.call_raw(
            {"from": account.address, "to": fn.address, "data": fn._encode_transaction_data()}
        )
        if failed is None:
            raise AssertionError(f"{fn.fn_name} was not refused")
        return failed

    def deploy(
        self, account: LocalAccount, abi: list[dict[str, Any]], bytecode: str, *args: Any
    ) -> Contract:
        self.learn_errors(abi)
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.transact(account, None, bytes.fromhex(data[2:]))
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=abi)


def deploy_ledger(
    chain: Chain, founder: LocalAccount, countries: Sequence[str], authorities: Sequence[str]
) -> Contract:
    """Deploy our contract with its founding member countries."""
    art = ledger_artifact()
    return chain.deploy(
        founder,
        art["abi"],
        art["bytecode"],
        [c.encode("ascii") for c in countries],
        list(authorities),
    )


__all__ = [
    "Chain",
    "CountingProvider",
    "TxError",
    "consent",
    "container_bytes",
    "country_bytes",
    "deploy_ledger",
    "doc_id_bytes",
    "error_selectors",
    "kind_country",
    "registration_digest",
    "rotation_digest",
]
