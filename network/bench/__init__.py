"""The benchmarks behind every figure the README claims: the embedded ledger (``ledger``),
the HTTP API under load (``http``) and gas on the EVM (``gas``). Each builds what it
measures from scratch and returns JSON-ready results; ``tdx bench`` prints them.
"""
