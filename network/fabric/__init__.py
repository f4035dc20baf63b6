"""A Hyperledger Fabric network for tdx, run as native processes (no Docker).

It builds Fabric's binaries at a pinned release commit (``binaries``), derives every MSP
and TLS certificate from the home's country roots (``msp``, checked by ``cert_lint``),
writes the configuration and starts four peers and four BFT orderers on 127.0.0.1
(``network``: ``up``, ``down``, ``status``), creates the corridor channels and deploys the
Python chaincode as a service (``deploy``, over ``commands``, which runs Fabric's CLIs),
records in the home which network and chaincode it uses (``settings``), runs a network
for one program's run (``session``), and opens a node's ``FabricLedger`` on it
(``engine.open_ledger``). ``tdx network fabric ...`` is its command line.
"""
