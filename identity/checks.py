"""The structured result of a verification: named checks, each with a status and reason.

A report is valid only if every check passed. A check that could not run because of an
earlier failure is ``not_checked``, which is not a pass: verification fails closed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a status, not a password)
    FAIL = "fail"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    reason: str

    @classmethod
    def passed(cls, name: str, reason: str) -> Check:
        return cls(name, Status.PASS, reason)

    @classmethod
    def failed(cls, name: str, reason: str) -> Check:
        return cls(name, Status.FAIL, reason)

    @classmethod
    def not_checked(cls, name: str, reason: str) -> Check:
        return cls(name, Status.NOT_CHECKED, reason)


@dataclass
class Report:
    """Checks in the order they ran, plus facts worth showing (issuer, digest, ...)."""

    checks: list[Check] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.status is Status.PASS for c in self.checks)

    def add(self, check: Check) -> None:
        self.checks.append(check)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status is not Status.PASS]

    def to_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "checks": [
                {"name": c.name, "status": c.status.value, "reason": c.reason} for c in self.checks
            ],
            **({"facts": dict(self.facts)} if self.facts else {}),
        }
