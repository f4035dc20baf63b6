"""Errors of the ePhyto translation: each names the rule and, where there is one, the place."""

from __future__ import annotations


class SpsXmlError(ValueError):
    """XML that is not a certificate this profile can carry, or a certificate it cannot."""

    def __init__(self, rule: str, message: str, path: str | None = None) -> None:
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{rule}: {message}")
        self.rule = rule
        self.path = path
        self.message = message


class UnsafeXmlError(SpsXmlError):
    """XML refused before it is read: a DTD, an entity, an external reference, or too big."""
