"""What the ledger's members agree on: document types and the signed-document envelope, their
canonical form and digest, the shared identifiers, who may do what, and who may read what
(``read_policy``). Pure and deterministic: no I/O and no clock.
"""
