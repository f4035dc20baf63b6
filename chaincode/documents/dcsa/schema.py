"""DCSA's own TransportDocument schema, applied to a document as field-level findings.

The schema is the JSON Schema that ``openapi.extract_schema`` derived from DCSA's eBL 3.0.3
OpenAPI file; it ships beside this module. It is read and compiled once per process, on
first use (jsonschema-rs: a few microseconds per document after that). Reading the
package's own file is the only I/O here, and it is the same bytes on every node.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import jsonschema_rs

from chaincode.documents.base import RuleViolation

SCHEMA_FILE = "transport_document_v3.0.3.schema.json"
SCHEMA_NAME = "DCSA eBL 3.0.3"

# Messages name the broken limit, never the submitted value (documents carry personal data).
_MASK = "the value"
# The rule names pydantic's errors already use (chaincode.documents.base), where they differ
# from the schema keyword written in snake case.
_RULE_NAMES = {"enum": "allowed_values"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def schema_text() -> str:
    return files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def _validator() -> jsonschema_rs.Draft4Validator:
    return jsonschema_rs.Draft4Validator(
        json.loads(schema_text()),
        validate_formats=True,
        ignore_unknown_formats=True,  # OpenAPI's "float"/"double" say nothing to check
        mask=_MASK,
        offline=True,  # every $ref is local; never fetch anything
    )


def transport_document_violations(raw: Any) -> Iterator[RuleViolation]:
    """Every way ``raw`` breaks DCSA's TransportDocument schema, in document order."""
    for error in _validator().iter_errors(raw):
        yield _violation(error)


def _violation(error: jsonschema_rs.ValidationError) -> RuleViolation:
    keyword = error.kind.name
    path: tuple[str | int, ...] = tuple(error.instance_path)
    message = error.message
    if keyword == "required":
        # Reported at the missing field, as pydantic reports it, not at its parent.
        missing = error.kind.as_dict()["property"]
        path = (*path, missing)
        message = "a required field is missing"
    location = "#/" + "/".join(str(part) for part in error.schema_path)
    return RuleViolation(
        path,
        _RULE_NAMES.get(keyword) or _CAMEL.sub("_", keyword).lower(),
        f"{message} ({SCHEMA_NAME} {location})",
        composite=keyword in ("oneOf", "anyOf"),
    )
