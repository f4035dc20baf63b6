"""TradeTrust's DocumentStore (``@tradetrust-tt/document-store`` 4.1.1) on an EVM node.

The issuer deploys one store (``constructor(name, owner)``: the owner gets the issuer and
revoker roles), issues each batch's Merkle root with ``issue`` (or many roots with
``bulkIssue``) and revokes a targetHash, an intermediate node or a root with ``revoke``.
Verifiers read ``isIssued(root)`` and ``isRevoked`` of every node on the document's path.
Transactions go through ``ledger.evm.chain.Chain`` (locally signed, receipts awaited).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from interop.oa import contracts
from interop.oa.errors import OaError
from interop.oa.transactions import send
from ledger.evm.chain import Chain


def hash32(value: bytes | str) -> bytes:
    """A 32-byte hash from bytes or hex (with or without 0x)."""
    raw = value if isinstance(value, bytes) else bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise OaError("hash", "must be 32 bytes")
    return raw


@dataclass(frozen=True)
class DocumentStore:
    chain: Chain
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def deploy(cls, chain: Chain, owner: LocalAccount, name: str) -> DocumentStore:
        art = contracts.document_store()
        return cls(chain, chain.deploy(owner, art["abi"], art["bytecode"], name, owner.address))

    @classmethod
    def at(cls, chain: Chain, address: str) -> DocumentStore:
        art = contracts.document_store()
        chain.learn_errors(art["abi"])
        return cls(
            chain,
            chain.w3.eth.contract(address=chain.w3.to_checksum_address(address), abi=art["abi"]),
        )

    def issue(self, account: LocalAccount, root: bytes | str) -> TxReceipt:
        return send(self.chain, account, self.contract.functions.issue(hash32(root)))

    def bulk_issue(self, account: LocalAccount, roots: Sequence[bytes | str]) -> TxReceipt:
        return send(
            self.chain, account, self.contract.functions.bulkIssue([hash32(r) for r in roots])
        )

    def revoke(self, account: LocalAccount, node: bytes | str) -> TxReceipt:
        """Revoke a targetHash (one document), an intermediate node or a root (a batch)."""
        return send(self.chain, account, self.contract.functions.revoke(hash32(node)))

    def is_issued(self, root: bytes | str) -> bool:
        return bool(self.contract.functions.isIssued(hash32(root)).call())

    def is_revoked(self, node: bytes | str) -> bool:
        return bool(self.contract.functions.isRevoked(hash32(node)).call())

    def name(self) -> str:
        return str(self.contract.functions.name().call())


__all__ = ["DocumentStore", "hash32"]
