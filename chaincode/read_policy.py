"""Who may read what: need-to-know, as one pure function the members agree on.

Trade documents are commercially confidential. A node applies this policy on every read
path (HTTP, the command line over HTTP, and peer queries) before it answers:

- a document's **content** (the signed document itself): its issuer, the organisations it
  names as parties, its holders (for an eBL, the current holder and every past one), and
  the customs and quarantine authorities of the countries it names;
- its **status** (state, holder, history, trace, links, proof): everyone who may read its
  content, every organisation that acted on it or received something by it on the ledger
  (a release, a delegation, a pickup), and auditors;
- an organisation's **holdings** (the eBLs it holds): that organisation, and auditors;
- the **log audit** (re-checking the whole ledger): auditors.

The node's operator, reading its own ledger on its own machine (the command line on the
node's home, which holds the ledger's files), is not an organisation and is not limited.
Verifying a document one presents (``POST /v1/verify``) is not a read: whoever holds a
document may verify it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Actor
from identity.roles import Role

BORDER_AUTHORITIES = frozenset({Role.CUSTOMS, Role.QUARANTINE})


class ReadScope(enum.StrEnum):
    CONTENT = "content"
    STATUS = "status"
    HOLDINGS = "holdings"
    LOG_AUDIT = "log-audit"


class ReadRule(enum.StrEnum):
    """The rule that allowed a read, or ``NEED_TO_KNOW``, the rule that refused it."""

    OPERATOR = "node-operator"
    ISSUER = "issuer"
    NAMED_PARTY = "named-party"
    HOLDER = "holder"
    BORDER_AUTHORITY = "border-authority"
    PARTICIPANT = "ledger-participant"
    AUDITOR = "auditor"
    OWN_HOLDINGS = "own-holdings"
    NEED_TO_KNOW = "need-to-know"


@dataclass(frozen=True)
class NodeOperator:
    """The node's own operator, on the node's machine: never built from a request."""


OPERATOR = NodeOperator()
Reader = Actor | NodeOperator


@dataclass(frozen=True)
class Audience:
    """Whom a document concerns, from its content and the ledger's record and history."""

    issuer: str
    named: frozenset[str] = frozenset()  # organisations the content names as parties
    holders: frozenset[str] = frozenset()  # an eBL's holders, current and past
    participants: frozenset[str] = frozenset()  # acted on it, or received by it, on the ledger
    countries: frozenset[str] = frozenset()  # countries the content (or the record) names


@dataclass(frozen=True)
class ReadDecision:
    allowed: bool
    rule: ReadRule
    reason: str


class ReadRefusal(Refusal):
    """A read the policy refuses: a ``Refusal`` (forbidden) that carries its decision."""

    def __init__(self, scope: ReadScope, decision: ReadDecision) -> None:
        super().__init__(RefusalKind.FORBIDDEN, decision.reason)
        self.scope = scope
        self.decision = decision


def _allow(rule: ReadRule, reason: str) -> ReadDecision:
    return ReadDecision(True, rule, reason)


def _content_rule(reader: Actor, audience: Audience) -> ReadDecision | None:
    if reader.id == audience.issuer:
        return _allow(ReadRule.ISSUER, f"{reader.id} issued it")
    if reader.id in audience.named:
        return _allow(ReadRule.NAMED_PARTY, f"{reader.id} is a party it names")
    if reader.id in audience.holders:
        return _allow(ReadRule.HOLDER, f"{reader.id} holds or held it")
    if reader.country in audience.countries and reader.roles & BORDER_AUTHORITIES:
        return _allow(
            ReadRule.BORDER_AUTHORITY,
            f"{reader.id} is a customs or quarantine authority of {reader.country}, "
            "a country it names",
        )
    return None


def _who_may(scope: ReadScope, audience: Audience) -> str:
    countries = ", ".join(sorted(audience.countries)) or "none"
    content = (
        f"its issuer ({audience.issuer}), the parties it names, its holders, and the customs "
        f"and quarantine authorities of the countries it names ({countries})"
    )
    if scope is ReadScope.CONTENT:
        return content
    return f"{content}, the organisations that acted on it on the ledger, and auditors"


def may_read_document(reader: Reader, scope: ReadScope, audience: Audience) -> ReadDecision:
    """May ``reader`` read this part (``CONTENT`` or ``STATUS``) of a document concerning
    ``audience``? The decision names the rule that allows or refuses it."""
    if isinstance(reader, NodeOperator):
        return _allow(ReadRule.OPERATOR, "the node's operator")
    allowed = _content_rule(reader, audience)
    if allowed is not None:
        return allowed
    if scope is ReadScope.STATUS:
        if reader.id in audience.participants:
            return _allow(ReadRule.PARTICIPANT, f"{reader.id} acted on it on the ledger")
        if Role.AUDITOR in reader.roles:
            return _allow(ReadRule.AUDITOR, f"{reader.id} is an auditor")
    return ReadDecision(
        False,
        ReadRule.NEED_TO_KNOW,
        f"{reader.id} may not read the {scope.value} of this document: only "
        f"{_who_may(scope, audience)} may",
    )


def may_read_holdings(reader: Reader, owner: str) -> ReadDecision:
    """May ``reader`` list the eBLs ``owner`` holds?"""
    if isinstance(reader, NodeOperator):
        return _allow(ReadRule.OPERATOR, "the node's operator")
    if reader.id == owner:
        return _allow(ReadRule.OWN_HOLDINGS, f"{reader.id}'s own holdings")
    if Role.AUDITOR in reader.roles:
        return _allow(ReadRule.AUDITOR, f"{reader.id} is an auditor")
    return ReadDecision(
        False,
        ReadRule.NEED_TO_KNOW,
        f"{reader.id} may not read {owner}'s holdings: only {owner} and auditors may",
    )


def may_audit_log(reader: Reader) -> ReadDecision:
    """May ``reader`` have the whole log re-checked (its problems name entries and signers)?"""
    if isinstance(reader, NodeOperator):
        return _allow(ReadRule.OPERATOR, "the node's operator")
    if Role.AUDITOR in reader.roles:
        return _allow(ReadRule.AUDITOR, f"{reader.id} is an auditor")
    return ReadDecision(
        False, ReadRule.NEED_TO_KNOW, f"{reader.id} may not audit the log: only auditors may"
    )


def require(scope: ReadScope, decision: ReadDecision) -> None:
    """Raise ``ReadRefusal`` unless the decision allows the read."""
    if not decision.allowed:
        raise ReadRefusal(scope, decision)


__all__ = [
    "OPERATOR",
    "Audience",
    "NodeOperator",
    "ReadDecision",
    "ReadRefusal",
    "ReadRule",
    "ReadScope",
    "Reader",
    "may_audit_log",
    "may_read_document",
    "may_read_holdings",
    "require",
]
