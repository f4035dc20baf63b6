"""DCSA's own TransportDocument schema (eBL 3.0.3), which every eBL must also satisfy.

Offers ``transport_document_violations`` (a document's breaches of the schema, as field-level
findings) and ``extract_schema`` (the OpenAPI 3.0 to JSON Schema translation that made the
schema file beside it from DCSA's OpenAPI file, vendored in ``interop.dcsa``).
"""

from chaincode.documents.dcsa.openapi import extract_schema
from chaincode.documents.dcsa.schema import transport_document_violations

__all__ = ["extract_schema", "transport_document_violations"]
