"""One schema of an OpenAPI 3.0 document, turned into a JSON Schema (draft 4) document.

OpenAPI 3.0 Schema Objects are draft-4-style JSON Schema (``exclusiveMinimum`` is a
boolean) with a few keywords of their own. The translation keeps every validation keyword,
drops the annotations, and handles OpenAPI's own keywords as the OpenAPI 3.0.3 text says:

- ``nullable: true`` adds ``"null"`` to an explicit ``type`` (and does nothing without one);
- ``discriminator`` is dropped: it only hints which ``oneOf``/``anyOf`` branch to try, and
  those keywords still decide validity on their own;
- ``format: int32`` / ``int64`` become the integer bounds they mean, since JSON Schema
  formats apply to strings only.

Any other keyword is refused, so a new DCSA release that uses one fails here instead of
being validated loosely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMAS_POINTER = "#/components/schemas/"

# Keywords whose value is kept as it is.
_VALUE_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "required",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
# Keywords that annotate and never validate.
_ANNOTATIONS = frozenset(
    {"title", "description", "example", "default", "deprecated", "externalDocs", "xml"}
)
_INTEGER_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class OpenApiTranslationError(ValueError):
    """The OpenAPI document uses something this translation does not handle."""


def extract_schema(spec: Mapping[str, Any], name: str, description: str) -> dict[str, Any]:
    """The schema ``#/components/schemas/<name>`` with every schema it references.

    The result keeps the ``components/schemas`` layout, so a schema location in a
    validation error points at the same place in the OpenAPI file.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    wanted, done = [name], {}
    while wanted:
        current = wanted.pop()
        if current in done:
            continue
        if current not in schemas:
            raise OpenApiTranslationError(f"no schema {current!r} in #/components/schemas")
        refs: list[str] = []
        done[current] = _schema(schemas[current], f"{SCHEMAS_POINTER}{current}", refs)
        wanted.extend(refs)
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": description,
        "$ref": f"{SCHEMAS_POINTER}{name}",
        "components": {"schemas": {key: done[key] for key in sorted(done)}},
    }


def _schema(node: Any, where: str, refs: list[str]) -> Any:
    if isinstance(node, bool):
        return node
    if not isinstance(node, Mapping):
        raise OpenApiTranslationError(f"{where}: a schema must be an object")
    if "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith(SCHEMAS_POINTER):
            raise OpenApiTranslationError(f"{where}: only local schema references: {ref!r}")
        refs.append(ref.removeprefix(SCHEMAS_POINTER))
        # OpenAPI 3.0 (like draft 4) ignores whatever stands beside a $ref.
        return {"$ref": ref}
    out: dict[str, Any] = {}
    for key, value in node.items():
        here = f"{where}/{key}"
        if key in _VALUE_KEYWORDS:
            out[key] = value
        elif key == "properties":
            out[key] = {prop: _schema(sub, f"{here}/{prop}", refs) for prop, sub in value.items()}
        elif key in ("items", "not", "additionalProperties"):
            out[key] = _schema(value, here, refs)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_schema(sub, f"{here}/{i}", refs) for i, sub in enumerate(value)]
        elif key in _ANNOTATIONS or key == "discriminator" or key.startswith("x-"):
            continue
        elif key == "nullable":
            continue  # applied below, once "type" is known
        else:
            raise OpenApiTranslationError(f"{here}: keyword {key!r} is not translated")
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    bounds = _INTEGER_BOUNDS.get(node.get("format", ""))
    if bounds is not None and node.get("type") == "integer":
        out.setdefault("minimum", bounds[0])
        out.setdefault("maximum", bounds[1])
    return out
