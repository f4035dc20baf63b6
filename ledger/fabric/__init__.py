"""The Fabric ledger engine: the same ``Ledger`` on a Hyperledger Fabric network.

``FabricLedger`` (``engine``) talks the Fabric Gateway protocol over gRPC, signing each
proposal with the acting organisation's Fabric key; the chaincode it invokes is
``contract``, our own ``chaincode.lifecycle`` rules served to the peers by ``ccserver``
over the minimal ``shim``, against the ``world_state`` view. ``FabricIndex`` turns the
chaincode's events into the same history, link, container and holder indexes as the EVM
engine's, and into the ``mirror`` of every channel's state that the engine checks each
transaction against before it goes to its channel.
"""
