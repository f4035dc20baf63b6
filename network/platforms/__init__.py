"""The node as one platform among others: DCSA PINT 3.0.0 on the node's own ledger
(``NodePintLedger``, the ``interop.pint.PintLedger`` port; ``PintPlatform``, its receiver,
sender and router from ``HOME/pint.json``) and TradeTrust (``OaSettings`` from
``HOME/oa.json``; ``export_documents`` and ``export_ebl`` / ``reclaim_ebl`` for eBL titles;
``propagate_revocations``, which carries revocations to the DocumentStore and loses
none, and ``RevocationCourier``, which retries them while the node serves; ``OaFormat``, an
OpenAttestation export in ``tdx verify``; ``oa_dns``, where DNS-TXT records come from).
"""
