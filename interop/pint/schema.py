"""DCSA's own PINT 3.0.0 schemas, applied to what a platform sends and receives.

The schema file beside this module is the JSON Schema that
``chaincode.documents.dcsa.extract_schema`` derives from the vendored ``EBL_PINT_v3.0.0.yaml``
(a test holds it equal to a fresh derivation). Every signed payload and every request body
is checked against it before anything reads a field, so "follows the standard" means
DCSA's own words, not our reading of them. Validators are compiled once per process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import jsonschema_rs

SCHEMA_FILE = "pint_v3.0.0.schema.json"
FILE: Traversable = files(__package__) / SCHEMA_FILE
POINTER = "#/components/schemas/"

# The schemas a platform applies; each brings every schema it references.
ROOTS = (
    "EblEnvelope",
    "EnvelopeManifest",
    "EnvelopeTransferChainEntry",
    "IssuanceManifest",
    "EnvelopeTransferStartedResponse",
    "EnvelopeTransferFinishedResponse",
    "IdentifyingCode",
    "ReceiverValidationResponse",
    "ErrorResponse",
)


def render(extracted: Mapping[str, Mapping[str, Any]], description: str) -> str:
    """One file holding the union of the extracted schemas (they share their references)."""
    merged: dict[str, Any] = {}
    for one in extracted.values():
        merged.update(one["components"]["schemas"])
    document = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": description,
        "components": {"schemas": {key: merged[key] for key in sorted(merged)}},
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


@functools.cache
def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FILE.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(name: str) -> jsonschema_rs.Draft4Validator:
    if name not in ROOTS:
        raise KeyError(f"no PINT schema {name!r} (known: {', '.join(ROOTS)})")
    return jsonschema_rs.Draft4Validator(
        {**_document(), "$ref": POINTER + name},
        validate_formats=True,
        ignore_unknown_formats=True,
        mask="the value",  # messages name the rule, never the (possibly personal) value
        offline=True,
    )


def violations(name: str, value: Any, limit: int = 5) -> list[str]:
    """Up to ``limit`` ways ``value`` breaks DCSA's schema ``name``, each naming its place."""
    out = []
    for error in _validator(name).iter_errors(value):
        where = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path
        )
        out.append(f"{where}: {error.message}")
        if len(out) >= limit:
            break
    return out


def is_valid(name: str, value: Any) -> bool:
    return bool(_validator(name).is_valid(value))
