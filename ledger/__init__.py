"""Ledger engines that order, persist and prove transactions behind one ``Ledger`` interface
and its capability protocols (``ledger.interface``: ``ProvableLedger``): ``embedded``
(SQLite, the default) and ``evm`` (a contract over JSON-RPC). What every engine shares lives
here: signed transactions, admission checks, the evidence a verifier binds to a signer
(``evidence``), and the transparency log (``tlog``).
"""
