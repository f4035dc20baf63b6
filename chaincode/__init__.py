"""What the ledger's members agree on: document types, their canonical form and digest, and
who may do what. Pure and deterministic: no I/O and no clock.
"""
