"""DCSA's eBL 3.0.3 in tdx: DCSA's own OpenAPI files, vendored unmodified under their
Apache-2.0 licence (the eBL 3.0.3 Shipping Instructions and Transport Document API and the
PINT 3.0.0 platform interoperability API; see ``spec/NOTICE.md``), and TransportDocument
JSON in and out of tdx unchanged.

Offers ``EBL_SPEC`` and ``PINT_SPEC`` (the two files as package resources, present in an
installed tdx as well as in a checkout), ``read_transport_document`` and
``export_transport_document``.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable

from interop.dcsa.transport_document import (
    ExportError,
    export_transport_document,
    read_transport_document,
)

_SPEC: Traversable = files(__name__) / "spec"

EBL_SPEC: Traversable = _SPEC / "EBL_v3.0.3.yaml"
PINT_SPEC: Traversable = _SPEC / "EBL_PINT_v3.0.0.yaml"

__all__ = [
    "EBL_SPEC",
    "PINT_SPEC",
    "ExportError",
    "export_transport_document",
    "read_transport_document",
]
