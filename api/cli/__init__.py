"""The ``tdx`` command line: one sub-command group per area (documents, ledger, eBL,
EVM, network, benchmarks) and the demo story. Thin: parse, call the node, render one clear
line or JSON, and exit with a meaningful status.
"""

from api.cli.main import app, main

__all__ = ["app", "main"]
