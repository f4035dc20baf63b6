"""A JSON value as a tree of labelled fields, for people: ``portOfLoading`` reads "Port of
loading", a list of objects reads as numbered items, and a document id links to its page.

Rendering is generic, so a field, a fact or a check that a new format or a new version adds
shows without a change here. Depth and size are bounded, so a hostile document cannot make
a page slow; what is cut says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaincode.identifiers import is_doc_id

MAX_DEPTH = 12
MAX_FIELDS = 5000

_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|[_\-\s]+")
_ACRONYMS = {
    "id": "ID",
    "hs": "HS",
    "fob": "FOB",
    "rvc": "RVC",
    "un": "UN",
    "iso": "ISO",
    "url": "URL",
    "co": "CO",
    "ebl": "eBL",
    "smgs": "SMGS",
    "cim": "CIM",
    "vat": "VAT",
    "eori": "EORI",
}


def humanize(key: str) -> str:
    """``transportDocumentReference`` -> ``Transport document reference``."""
    words = [w for w in _WORDS.split(key) if w]
    if not words:
        return key
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        if lower in _ACRONYMS:
            out.append(_ACRONYMS[lower])
        elif word.isupper() and len(word) > 1:
            out.append(word)
        else:
            out.append(word.capitalize() if i == 0 else lower)
    return " ".join(out)


Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Field:
    label: str
    value: Scalar = None
    children: tuple[Field, ...] = ()
    # The value is a document id: the page links it to the document's page.
    document: bool = False

    @property
    def group(self) -> bool:
        return bool(self.children)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _field(label: str, value: Any, depth: int, budget: _Budget) -> Field:
    if not budget.take():
        return Field(label, "…")
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return Field(label, "…")
        return Field(label, children=_children(value, depth + 1, budget))
    if isinstance(value, list):
        if all(not isinstance(v, Mapping | list) for v in value):
            return Field(label, ", ".join(_text(v) for v in value))
        if depth >= MAX_DEPTH:
            return Field(label, "…")
        items = tuple(_field(f"{i}", v, depth + 1, budget) for i, v in enumerate(value, 1))
        return Field(label, children=items)
    if isinstance(value, str) and is_doc_id(value):
        return Field(label, value, document=True)
    if value is None or isinstance(value, str | int | float | bool):
        return Field(label, value)
    return Field(label, str(value))


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _children(value: Mapping[str, Any], depth: int, budget: _Budget) -> tuple[Field, ...]:
    return tuple(_field(humanize(str(k)), v, depth, budget) for k, v in value.items())


def fields_of(value: Mapping[str, Any], limit: int = MAX_FIELDS) -> tuple[Field, ...]:
    """The fields of a JSON object, in its own order."""
    return _children(value, 0, _Budget(limit))


__all__ = ["Field", "fields_of", "humanize"]
