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

This module composes the engine; each part has its own module: ``submit`` (the submit path,
its deadline and receipts), ``mirror`` (the index kept up to the chain's head), ``view``
(the mirrored state as the chaincode and the contract call see it), ``reads`` (the
contract's own state and the evidence a verifier is shown) and ``retry`` (transport
failures).

What is embedded-only: signed checkpoints (C2SP notes), RFC 9162 inclusion proofs of log
entries, offline proof bundles and ``verify_log`` (``ledger.interface.ProvableLedger``). On
the chain the blocks are the log and consensus (QBFT) protects it; this engine is a plain
``Ledger``, and a verifier's evidence names the block whose state it read.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3.contract import Contract

from chaincode.evm import artifact
from chaincode.lifecycle import Refusal
from chaincode.records import DocumentRecord, PickupRight
from ledger.evidence import Evidence
from ledger.evm.chain import Chain
from ledger.evm.events import Events
from ledger.evm.index import EvmIndex
from ledger.evm.mirror import LOG_PAGE, Mirror
from ledger.evm.reads import ContractReads
from ledger.evm.retry import retry
from ledger.evm.submit import InFlight, Submitter, SubmitTimeout
from ledger.interface import HistoryEntry, Identities, Receipt, single
from ledger.signed_tx import SignedTx


@dataclass(frozen=True)
class EvmConfig:
    """Where the contract is: written to the home by ``network.evm.home.deploy``."""

    rpc: str
    contract: str
    deploy_block: int
    chain_id: int


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
        address_of: dict[str, str] = {org: to_checksum_address(a) for org, a in directory.items()}
        org_of: dict[str, str] = {a: org for org, a in address_of.items()}
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
        self._index = EvmIndex(index_path, org_of)
        self._db = self._index.db  # the index's connection, as tests inspect it
        self._mirror = Mirror(
            self._chain,
            self._contract.address,
            self._index,
            Events(abi),
            config.deploy_block,
            org_of,
            log_page,
        )
        self._reads = ContractReads(
            self._chain,
            config.chain_id,
            self._contract,
            self._index,
            self._mirror,
            address_of,
            org_of,
        )
        self._submitter = Submitter(
            self._chain,
            self._contract,
            self._index,
            self._mirror,
            self._reads,
            identities,
            keys,
            clock,
        )
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
        submitter = self._submitter
        results: list[Receipt | Refusal | InFlight] = []
        with _Counter(self, len(signed)):
            # Alone, a transaction is sent with its receipt awaited in the same call (where
            # the node offers it); several are sent first and collected after (pipelined).
            wait = len(signed) == 1
            for item in signed:
                outcome = submitter.send(item, wait)
                if isinstance(outcome, Refusal) and any(isinstance(r, InFlight) for r in results):
                    results = [
                        submitter.collect(r) if isinstance(r, InFlight) else r for r in results
                    ]
                    outcome = submitter.send(item, wait)
                results.append(outcome)
            return [submitter.collect(r) if isinstance(r, InFlight) else r for r in results]

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        """As ``submit_many``, answering with each accepted transaction's entry index."""
        return [r if isinstance(r, Refusal) else r.index for r in self.submit_many(signed)]

    # --- the index --------------------------------------------------------------------

    def sync(self, until: int | None = None) -> None:
        """Index the contract's logs up to the chain's head (or at least ``until``)."""
        self._mirror.sync(until)

    # --- reading ----------------------------------------------------------------------

    def document(
        self,
        doc_id: str,
        issuer: str | None = None,
        sync: bool = True,
        block: int | Literal["latest"] = "latest",
    ) -> DocumentRecord | None:
        """``issuer``'s record of the digest (by default the digest's first record), as the
        contract holds it in the state of ``block`` (see ``ContractReads.document``)."""
        return self._reads.document(doc_id, issuer, sync, block)

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, the first to anchor it first."""
        self.sync()
        return self._index.issuers(doc_id)

    def pickup_right(self, container: str) -> PickupRight | None:
        """The container's pickup right as the contract holds it (delegations: the index's)."""
        return self._reads.pickup_right(container)

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
        (see ``Ledger.evidence``)."""
        return self._reads.evidence(digest, issuer)

    def head(self) -> dict[str, Any]:
        """The chain's latest block: what the evm engine offers in place of a checkpoint."""
        return self._reads.head()

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
