"""Accounts as PINT names them: a ``PartyDirectory`` over a fixed list of accounts, and how a
tdx organisation appears as a PINT party.

A tdx organisation on platform ``P`` is the party ``{partyName, eblPlatform: P,
identifyingCodes: [{codeListProvider: P, partyCode: <organisation id>}]}``, with its national
registration as a ``taxLegalReference`` (USCI, UEN, INN or BIN). Receiver validation and
the recipient check find it by that code.
"""

from __future__ import annotations

from collections.abc import Iterable

from identity.certificates import Organisation
from identity.org_id import SCHEMES
from interop.pint.ledger_port import Account
from interop.pint.models import IdentifyingCode, Party, TaxLegalReference

PARTY_NAME_MAX = 70  # ActorParty.partyName maxLength


def party_name(name: str) -> str:
    """A name as DCSA's ``partyName`` allows it: trimmed, at most 70 characters."""
    return " ".join(name.split())[:PARTY_NAME_MAX].rstrip()


def organisation_account(platform: str, org: Organisation) -> Account:
    scheme = SCHEMES.get(org.country)
    taxes = (
        [TaxLegalReference(type=scheme, countryCode=org.country, value=org.org_id)]
        if scheme
        else None
    )
    party = Party(
        partyName=party_name(org.name),
        eblPlatform=platform,
        identifyingCodes=[IdentifyingCode(codeListProvider=platform, partyCode=org.id)],
        taxLegalReferences=taxes,
    )
    return Account(org.id, party)


class StaticDirectory:
    """A ``PartyDirectory`` over accounts known in advance."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._by_id: dict[str, Account] = {}
        self._by_code: dict[tuple[str, str], Account] = {}
        for account in accounts:
            self._by_id[account.id] = account
            for code in account.party.identifyingCodes:
                self._by_code[code.key] = account

    @classmethod
    def of_organisations(cls, platform: str, orgs: Iterable[Organisation]) -> StaticDirectory:
        return cls(organisation_account(platform, org) for org in orgs)

    def find(self, code: IdentifyingCode) -> Account | None:
        return self._by_code.get(code.key)

    def account(self, account_id: str) -> Account | None:
        return self._by_id.get(account_id)
