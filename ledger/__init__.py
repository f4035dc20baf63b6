"""Ledger engines that order, persist and prove transactions behind one ``Ledger`` interface
(``ledger.interface``): ``embedded`` (SQLite, the default) and ``evm`` (a contract over
JSON-RPC). What every engine shares lives here: signed transactions, admission checks, and
the transparency log (``tlog``).
"""
