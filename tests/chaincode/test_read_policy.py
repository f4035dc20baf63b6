"""The read policy as a pure function: every rule, allowing and refusing."""

import pytest

from chaincode.read_policy import (
    OPERATOR,
    Audience,
    ReadRule,
    ReadScope,
    may_audit_log,
    may_read_document,
    may_read_holdings,
)
from chaincode.records import Actor
from identity.roles import Role

AUDIENCE = Audience(
    issuer="cn-cosco",
    named=frozenset({"cn-exporter"}),
    holders=frozenset({"cn-boc"}),
    participants=frozenset({"sg-psa"}),
    countries=frozenset({"CN", "SG"}),
)


def actor(org, country="CN", *roles):
    return Actor(org, country, frozenset(roles))


@pytest.mark.parametrize(
    ("reader", "content", "status", "rule"),
    [
        (OPERATOR, True, True, ReadRule.OPERATOR),
        (actor("cn-cosco", "CN", Role.CARRIER), True, True, ReadRule.ISSUER),
        (actor("cn-exporter", "CN", Role.SHIPPER), True, True, ReadRule.NAMED_PARTY),
        (actor("cn-boc", "CN", Role.BANK), True, True, ReadRule.HOLDER),
        (actor("sg-customs", "SG", Role.CUSTOMS), True, True, ReadRule.BORDER_AUTHORITY),
        (actor("cn-q", "CN", Role.QUARANTINE), True, True, ReadRule.BORDER_AUTHORITY),
        (actor("sg-psa", "SG", Role.TERMINAL), False, True, ReadRule.PARTICIPANT),
        (actor("kz-auditor", "KZ", Role.AUDITOR), False, True, ReadRule.AUDITOR),
        (actor("ru-customs", "RU", Role.CUSTOMS), False, False, ReadRule.NEED_TO_KNOW),
        (actor("sg-dbs", "SG", Role.BANK), False, False, ReadRule.NEED_TO_KNOW),
    ],
)
def test_document_reads(reader, content, status, rule):
    on_content = may_read_document(reader, ReadScope.CONTENT, AUDIENCE)
    on_status = may_read_document(reader, ReadScope.STATUS, AUDIENCE)
    assert (on_content.allowed, on_status.allowed) == (content, status)
    assert (on_status if status else on_content).rule is rule
    if not content:
        assert on_content.rule is ReadRule.NEED_TO_KNOW
        assert "only its issuer (cn-cosco)" in on_content.reason


def test_holdings_and_the_log_audit():
    assert may_read_holdings(actor("cn-boc"), "cn-boc").rule is ReadRule.OWN_HOLDINGS
    assert may_read_holdings(actor("kz-auditor", "KZ", Role.AUDITOR), "cn-boc").allowed
    refused = may_read_holdings(actor("sg-dbs", "SG", Role.BANK), "cn-boc")
    assert not refused.allowed
    assert "only cn-boc and auditors" in refused.reason
    assert may_audit_log(actor("kz-auditor", "KZ", Role.AUDITOR)).allowed
    assert not may_audit_log(actor("cn-gacc", "CN", Role.CUSTOMS)).allowed
    assert may_audit_log(OPERATOR).allowed
