"""Sending a transaction to TradeTrust's contracts, with their refusals made readable.

``ledger.evm.chain.Chain`` decodes custom errors; TradeTrust's contracts also refuse with
Solidity's ``Error(string)`` (``require`` messages, OpenZeppelin's AccessControl), which
becomes the error's text here.
"""

from __future__ import annotations

from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from ledger.evm.chain import Chain, TxError

ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)


def send(chain: Chain, account: LocalAccount, fn: ContractFunction) -> TxReceipt:
    try:
        return chain.send(account, fn)
    except TxError as exc:
        text = str(exc)
        if exc.error is None and text.startswith("reverted: 0x" + ERROR_STRING.hex()):
            raw = bytes.fromhex(text.removeprefix("reverted: 0x"))
            try:
                (message,) = abi_decode(["string"], raw[4:])
            except Exception:
                raise exc from None
            raise TxError(f"{fn.fn_name} refused: {message}", "Error", (message,)) from None
        raise


__all__ = ["send"]
