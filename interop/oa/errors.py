"""The errors of the OpenAttestation package: each names the field and the rule it broke."""

from __future__ import annotations


class OaError(ValueError):
    """Input that OpenAttestation v2 does not accept; ``field`` is a dotted path or a name."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class ContractsMissingError(FileNotFoundError):
    """TradeTrust's npm packages (or node) are not installed: run ``make tools``."""


__all__ = ["ContractsMissingError", "OaError"]
