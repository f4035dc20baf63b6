"""The EVM ledger engine: the same ledger semantics on the TradeLedger contract, over
JSON-RPC (Besu QBFT in production, anvil in tests), with locally signed transactions and a
resumable event index for history, links and containers.
"""

from ledger.evm.engine import EvmConfig, EvmLedger, retry

__all__ = ["EvmConfig", "EvmLedger", "retry"]
