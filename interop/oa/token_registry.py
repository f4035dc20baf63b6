"""TradeTrust's token registry for transferable records (``@tradetrust-tt/token-registry``
5.5.1): an eBL is a token whose id is the wrapped document's Merkle root, owned by its own
TitleEscrow.

In the escrow the beneficiary holds title and the holder has possession. The registry's
deployer gets the minter, accepter and restorer roles. The life of a title:
``mint`` (escrow created) -> ``transferHolder`` / ``nominate`` + ``transferBeneficiary`` ->
``returnToIssuer`` (the registry itself owns the token: surrendered) -> ``burn`` (accepted:
the token goes to 0x...dEaD) or ``restore`` (rejected: back to its escrow).

``title`` computes the state from ``ownerOf``: the official verifier only asks whether an
owner exists, so it calls a burnt eBL valid; here it is ``BURNT``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3.contract import Contract
from web3.types import TxReceipt

from interop.oa import contracts
from interop.oa.document_store import hash32
from interop.oa.transactions import send
from ledger.evm.chain import Chain

BURN_ADDRESS = "0x000000000000000000000000000000000000dEaD"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class TitleState(enum.StrEnum):
    NOT_MINTED = "NOT_MINTED"
    ACTIVE = "ACTIVE"  # in its TitleEscrow
    RETURNED_TO_ISSUER = "RETURNED_TO_ISSUER"  # surrendered: the registry owns it
    BURNT = "BURNT"  # surrender accepted: the title is gone


def token_id(merkle_root: bytes | str) -> int:
    """The token id of a wrapped document: its Merkle root as a uint256."""
    return int.from_bytes(hash32(merkle_root), "big")


@dataclass(frozen=True)
class Title:
    token_id: int
    state: TitleState
    owner: str | None
    escrow: str | None = None
    beneficiary: str | None = None
    holder: str | None = None
    nominee: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tokenId": f"0x{self.token_id:064x}", "state": self.state.value}
        for key, value in (
            ("owner", self.owner),
            ("titleEscrow", self.escrow),
            ("beneficiary", self.beneficiary),
            ("holder", self.holder),
            ("nominee", self.nominee),
        ):
            if value is not None:
                out[key] = value
        return out


def state_of_owner(owner: str | None, registry: str) -> TitleState:
    if owner is None or owner.lower() == ZERO_ADDRESS:
        return TitleState.NOT_MINTED
    if owner.lower() == BURN_ADDRESS.lower():
        return TitleState.BURNT
    if owner.lower() == registry.lower():
        return TitleState.RETURNED_TO_ISSUER
    return TitleState.ACTIVE


@dataclass(frozen=True)
class TokenRegistry:
    chain: Chain
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def deploy(cls, chain: Chain, deployer: LocalAccount, name: str, symbol: str) -> TokenRegistry:
        """The TitleEscrowFactory, then the registry (TradeTrustToken) that uses it."""
        factory_art = contracts.token_registry("TitleEscrowFactory")
        factory = chain.deploy(deployer, factory_art["abi"], factory_art["bytecode"])
        art = contracts.token_registry("TradeTrustToken")
        chain.learn_errors(contracts.token_registry("TitleEscrow")["abi"])
        registry = chain.deploy(
            deployer, art["abi"], art["bytecode"], name, symbol, factory.address
        )
        return cls(chain, registry)

    @classmethod
    def at(cls, chain: Chain, address: str) -> TokenRegistry:
        art = contracts.token_registry("TradeTrustToken")
        chain.learn_errors(art["abi"])
        chain.learn_errors(contracts.token_registry("TitleEscrow")["abi"])
        checksum = to_checksum_address(address)
        return cls(chain, chain.w3.eth.contract(address=checksum, abi=art["abi"]))

    def escrow(self, address: str) -> Contract:
        abi = contracts.token_registry("TitleEscrow")["abi"]
        return self.chain.w3.eth.contract(address=to_checksum_address(address), abi=abi)

    def owner_of(self, token: int) -> str | None:
        """The token's owner, or None if it was never minted (``ownerOf`` reverts)."""
        fn = self.contract.functions.ownerOf(token)
        call = {"to": self.address, "data": fn._encode_transaction_data()}
        out, failed = self.chain.call_raw(call)
        if failed is not None or not out:
            return None
        return to_checksum_address(abi_decode(["address"], out)[0])

    def title(self, token: int) -> Title:
        owner = self.owner_of(token)
        state = state_of_owner(owner, self.address)
        if state is not TitleState.ACTIVE or owner is None:
            return Title(token, state, owner)
        escrow = self.escrow(owner)
        nominee = str(escrow.functions.nominee().call())
        return Title(
            token,
            state,
            owner,
            escrow=owner,
            beneficiary=str(escrow.functions.beneficiary().call()),
            holder=str(escrow.functions.holder().call()),
            nominee=None if nominee.lower() == ZERO_ADDRESS else nominee,
        )

    def mint(
        self, minter: LocalAccount, token: int, beneficiary: str, holder: str, remark: bytes = b""
    ) -> Title:
        fn = self.contract.functions.mint(
            to_checksum_address(beneficiary), to_checksum_address(holder), token, remark
        )
        send(self.chain, minter, fn)
        return self.title(token)

    def _escrow_of(self, token: int) -> Contract:
        owner = self.owner_of(token)
        if state_of_owner(owner, self.address) is not TitleState.ACTIVE or owner is None:
            raise ValueError(f"token 0x{token:064x} is not in a TitleEscrow")
        return self.escrow(owner)

    def transfer_holder(self, holder: LocalAccount, token: int, to: str) -> TxReceipt:
        fn = self._escrow_of(token).functions.transferHolder(to_checksum_address(to), b"")
        return send(self.chain, holder, fn)

    def nominate(self, beneficiary: LocalAccount, token: int, nominee: str) -> TxReceipt:
        fn = self._escrow_of(token).functions.nominate(to_checksum_address(nominee), b"")
        return send(self.chain, beneficiary, fn)

    def transfer_beneficiary(self, holder: LocalAccount, token: int, nominee: str) -> TxReceipt:
        fn = self._escrow_of(token).functions.transferBeneficiary(to_checksum_address(nominee), b"")
        return send(self.chain, holder, fn)

    def return_to_issuer(self, holder: LocalAccount, token: int) -> TxReceipt:
        """Surrender: the caller must be both beneficiary and holder."""
        return send(self.chain, holder, self._escrow_of(token).functions.returnToIssuer(b""))

    def accept_return(self, issuer: LocalAccount, token: int) -> TxReceipt:
        """Accept a surrender: the token is burnt (sent to 0x...dEaD)."""
        return send(self.chain, issuer, self.contract.functions.burn(token, b""))

    def reject_return(self, issuer: LocalAccount, token: int) -> TxReceipt:
        """Reject a surrender: the token goes back to its escrow."""
        return send(self.chain, issuer, self.contract.functions.restore(token, b""))


__all__ = [
    "BURN_ADDRESS",
    "Title",
    "TitleState",
    "TokenRegistry",
    "state_of_owner",
    "token_id",
]
