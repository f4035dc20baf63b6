"""Formats and protocols of systems tdx does not own (OpenAttestation, DCSA PINT, ePhyto XML,
SMGS rail data). It translates in and out and owns no business rules. So far: ``interop.oa``
(OpenAttestation v2 / TradeTrust).
"""
