"""Validating a document model and stating the outcome as (path, rule) pairs."""

import json
from typing import Any

from pydantic import ValidationError

from chaincode.documents.base import FieldError, TradeDocument, field_errors


class Outcome:
    def __init__(self, model: type[TradeDocument]) -> None:
        self.model = model

    def validate(self, doc: Any) -> Any:
        return self.model.model_validate_json(json.dumps(doc).encode())

    def errors(self, doc: Any) -> list[FieldError]:
        try:
            self.validate(doc)
        except ValidationError as exc:
            return field_errors(exc)
        return []

    def broken(self, doc: Any) -> list[tuple[str, str]]:
        """(path, rule) of every error, sorted, so a test states the complete outcome."""
        return sorted((e.path, e.rule) for e in self.errors(doc))
