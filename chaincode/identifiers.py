"""The identifiers every layer shares, written once: a document id (``sha256:<hex>``, the
digest of the document's canonical form), an organisation id (``cn-gacc``) and an ISO 6346
container number. Each has its pattern (for OpenAPI paths), its pydantic type (for models)
and, for document ids, a test.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

DOC_ID_PATTERN = r"^sha256:[0-9a-f]{64}$"
ORG_ID_PATTERN = r"^[a-z]{2}-[a-z0-9-]{1,40}$"
CONTAINER_PATTERN = r"^[A-Z]{4}\d{7}$"

DocId = Annotated[str, Field(pattern=DOC_ID_PATTERN)]
OrgId = Annotated[str, Field(pattern=ORG_ID_PATTERN)]
Container = Annotated[str, Field(pattern=CONTAINER_PATTERN)]

_DOC_ID = re.compile(DOC_ID_PATTERN)


def is_doc_id(text: object) -> bool:
    """Whether ``text`` is a document id: ``sha256:`` and 64 lower-case hex digits."""
    return isinstance(text, str) and _DOC_ID.fullmatch(text) is not None


__all__ = [
    "CONTAINER_PATTERN",
    "DOC_ID_PATTERN",
    "ORG_ID_PATTERN",
    "Container",
    "DocId",
    "OrgId",
    "is_doc_id",
]
