"""The pages' three languages: English, 中文 and Русский.

Each language is one JSON catalog of messages (``messages/<code>.json``) with the same keys
and the same ``{placeholders}``; a test holds them together. A message is looked up by key
and formatted with named values; a key a catalog lacks falls back to English, and a key
English lacks shows as itself, so a missing translation is visible and never an error.
The reasons a verification or a refusal gives come from the rules, in English, as on the
command line.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

LANGUAGES: Mapping[str, str] = {"en": "English", "zh": "中文", "ru": "Русский"}
DEFAULT = "en"
COOKIE = "tdx_lang"


def placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


@dataclass(frozen=True)
class Catalog:
    code: str
    messages: Mapping[str, str]
    fallback: Mapping[str, str]

    def __call__(self, key: str, /, **values: Any) -> str:
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages or key in self.fallback


def _read(code: str) -> dict[str, str]:
    data = json.loads(files(__package__).joinpath("messages", f"{code}.json").read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"messages/{code}.json must map keys to strings")
    return data


class Catalogs:
    """Every language's catalog, read once."""

    def __init__(self) -> None:
        english = _read(DEFAULT)
        self.by_code = {
            code: Catalog(code, english if code == DEFAULT else _read(code), english)
            for code in LANGUAGES
        }

    def __getitem__(self, code: str) -> Catalog:
        return self.by_code[code]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in: the remembered choice, else the browser's first language
    we have (``Accept-Language``, in the order given, quality values ignored), else English."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(",")[:20]:
        primary = part.split(";")[0].strip().lower().split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT


__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "Catalog", "Catalogs", "negotiate", "placeholders"]
