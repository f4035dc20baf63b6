"""A Hyperledger Fabric network for tdx, run as native processes (no Docker).

It builds Fabric's binaries at a pinned release commit (``binaries``), derives every MSP
and TLS certificate from the home's country roots (``msp``, checked by ``cert_lint``),
writes the configuration and starts four peers and four BFT orderers on 127.0.0.1
(``network``), creates the corridor channels and deploys the Python chaincode as a
service (``deploy``), and opens a node's ``FabricLedger`` on it (``engine.open_ledger``).
"""
