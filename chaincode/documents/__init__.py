"""The trade document models: certificate of origin, DCSA eBL, quarantine certificate and
rail consignment, each validated with field-level errors that name the JSON path and rule;
and the ``tdx-signed-document/1`` envelope format (``envelope``).
"""
