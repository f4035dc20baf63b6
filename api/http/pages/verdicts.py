"""A verification report (its JSON, as ``POST /v1/verify`` answers) read for the Verify page:
one verdict that cannot be misread, every check with its reason, the facts, and whatever
else the report carries.

The page reads the report's JSON rather than the pipeline's types, so checks and facts that
other formats add (OpenAttestation, PINT, a foreign issuer node's answer) appear without a
change here: known names get translated labels, unknown ones their own name.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.http.pages.fields import Field, fields_of, humanize


class Verdict(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


class CheckStatus(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (a status, not a password)
    FAIL = "fail"
    NOT_CHECKED = "not_checked"
    OTHER = "other"


@dataclass(frozen=True)
class CheckRow:
    name: str
    status: CheckStatus
    reason: str


@dataclass(frozen=True)
class Fact:
    key: str
    value: str


@dataclass(frozen=True)
class ReportView:
    verdict: Verdict
    checks: tuple[CheckRow, ...]
    facts: tuple[Fact, ...]
    extras: tuple[Field, ...]

    def fact(self, key: str) -> str | None:
        return next((f.value for f in self.facts if f.key == key), None)


# The facts the page shows first, in this order; any other fact follows in its own.
FACT_ORDER = (
    "kind",
    "format",
    "issuerName",
    "issuer",
    "issuerCountry",
    "anchoredAt",
    "state",
    "holder",
    "signedAt",
    "digest",
)
_REPORT_KEYS = frozenset({"valid", "checks", "facts", "waived"})


def verdict_of(report: Mapping[str, Any]) -> Verdict:
    """VALID only if the report says valid and every check passed (or could not apply: it
    is waived, as the signature of a document with hidden fields); INVALID if any check
    failed; UNKNOWN when nothing failed but something could not be checked."""
    checks = [c for c in report.get("checks") or () if isinstance(c, Mapping)]
    statuses = [c.get("status") for c in checks]
    raw = report.get("waived")
    waived = {w for w in raw if isinstance(w, str)} if isinstance(raw, list) else set()
    if (
        report.get("valid") is True
        and "pass" in statuses
        and all(
            c.get("status") == "pass"
            or (c.get("status") == "not_checked" and c.get("name") in waived)
            for c in checks
        )
    ):
        return Verdict.VALID
    if "fail" in statuses or (report.get("valid") is False and not checks):
        return Verdict.INVALID
    return Verdict.UNKNOWN


def _status(value: Any) -> CheckStatus:
    try:
        return CheckStatus(value)
    except ValueError:
        return CheckStatus.OTHER


def read_report(report: Mapping[str, Any]) -> ReportView:
    checks = tuple(
        CheckRow(str(c.get("name", "?")), _status(c.get("status")), str(c.get("reason", "")))
        for c in report.get("checks") or ()
        if isinstance(c, Mapping)
    )
    raw = report.get("facts")
    facts_in = raw if isinstance(raw, Mapping) else {}
    ordered = [k for k in FACT_ORDER if k in facts_in]
    ordered += [k for k in facts_in if k not in FACT_ORDER]
    facts = tuple(
        Fact(k, str(facts_in[k]))
        for k in ordered
        if facts_in[k] is not None and not isinstance(facts_in[k], Mapping | list)
    )
    nested = {k: v for k, v in facts_in.items() if isinstance(v, Mapping | list)}
    extras = {k: v for k, v in report.items() if k not in _REPORT_KEYS}
    extra_fields = fields_of({**nested, **extras}) if nested or extras else ()
    return ReportView(verdict_of(report), checks, facts, extra_fields)


def fact_label_key(key: str) -> str:
    """The catalog key of a fact's label (``fact.<name>``)."""
    return f"fact.{key}"


def check_label_key(name: str) -> str:
    return f"check.{name}"


__all__ = [
    "FACT_ORDER",
    "CheckRow",
    "CheckStatus",
    "Fact",
    "ReportView",
    "Verdict",
    "check_label_key",
    "fact_label_key",
    "humanize",
    "read_report",
    "verdict_of",
]
