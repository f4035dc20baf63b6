"""The base of every trade document model, and field-level errors.

A document is validated in one pass that reports every problem at once: pydantic's
field errors, the document's cross-field rules and, where a standard publishes one, the
standard's own schema; each with its JSON path and the name of the rule it breaks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

Path = tuple[str | int, ...]

# Friendlier names for pydantic's built-in error types; everything else keeps its own.
_RULE_NAMES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "literal_error": "allowed_values",
    "enum": "allowed_values",
    "string_too_long": "max_length",
    "string_too_short": "min_length",
    "string_pattern_mismatch": "pattern",
    "too_long": "max_items",
    "too_short": "min_items",
}


@dataclass(frozen=True)
class FieldError:
    """One broken rule at one place in a document."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class RuleViolation:
    """A cross-field rule's or a schema's finding, before it becomes a pydantic error.

    ``composite`` marks a finding about a whole subtree (a schema's oneOf or anyOf) that
    any error reported inside that subtree already explains.
    """

    path: Path
    rule: str
    message: str
    composite: bool = False


def json_path(loc: Sequence[str | int]) -> str:
    """Render a pydantic location as a JSONPath such as ``$.items[0].hsCode``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Every error of a validation failure, with path and rule name."""
    errors = []
    for err in exc.errors(include_url=False):
        rule = _RULE_NAMES.get(err["type"], err["type"])
        errors.append(FieldError(json_path(err["loc"]), rule, err["msg"]))
    return errors


class Part(BaseModel):
    """A nested part of a document. Unknown fields are refused: a typo is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TradeDocument(Part):
    """A top-level document: fields, then cross-field rules, all reported together.

    Subclasses name their cross-field rules in ``document_rules``. The rules read the raw
    JSON mapping and must tolerate missing or malformed fields, so that they still run
    when other fields failed.
    """

    kind: ClassVar[str]

    @classmethod
    def document_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        return iter(())

    @classmethod
    def schema_rules(cls, raw: Mapping[str, Any]) -> Iterator[RuleViolation]:
        """The findings of the standard's own schema, for documents whose standard has one.

        A finding at a place that the model or a rule already reported is the same problem
        seen twice, and is left out.
        """
        return iter(())

    def issuing_country(self) -> str | None:
        """The country whose authority must issue this document, if the document says."""
        return None

    @model_validator(mode="wrap")
    @classmethod
    def _all_errors_at_once(
        cls, data: Any, handler: ModelWrapValidatorHandler[TradeDocument]
    ) -> TradeDocument:
        line_errors: list[InitErrorDetails] = []
        model: TradeDocument | None = None
        try:
            model = handler(data)
        except ValidationError as exc:
            # Re-raised below together with the rules' findings; custom error types
            # must be re-created, since pydantic only knows its built-in ones by name.
            for err in exc.errors(include_url=False):
                line_errors.append(
                    {
                        "type": PydanticCustomError(err["type"], "{msg}", {"msg": err["msg"]}),
                        "loc": err["loc"],
                        "input": err.get("input"),
                    }
                )
        if isinstance(data, Mapping):
            found = list(cls.document_rules(data))
            reported = {tuple(e["loc"]) for e in line_errors} | {v.path for v in found}
            found += [v for v in cls.schema_rules(data) if not _explained(v, reported)]
            for v in found:
                line_errors.append(
                    {
                        "type": PydanticCustomError(v.rule, "{msg}", {"msg": v.message}),
                        "loc": v.path,
                        "input": _at(data, v.path),
                    }
                )
        if line_errors:
            raise ValidationError.from_exception_data(cls.__name__, line_errors)
        assert model is not None
        return model


def _explained(finding: RuleViolation, reported: set[Path]) -> bool:
    if finding.path in reported:
        return True
    depth = len(finding.path)
    return finding.composite and any(p[:depth] == finding.path for p in reported)


def _at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def get_path(data: Any, *path: str | int) -> Any:
    """Read a nested value from raw JSON, or None when any step is missing."""
    return _at(data, path)


def list_entries(raw: Mapping[str, Any], key: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects of a raw JSON list, with their indexes; anything malformed is skipped."""
    value = raw.get(key)
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if isinstance(entry, Mapping):
                yield i, entry
