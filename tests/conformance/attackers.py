"""Organisations the audit's attacks need beyond the demo network: registered members of one
country acting against another's, a second carrier and more terminals. Added to a home as
its own country root would certify them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from stdnum.cn import uscc
from stdnum.ru import inn
from stdnum.sg import uen

from identity import keys
from identity.certificates import Organisation, Purpose, issue_organisation_certificate
from identity.keys import KeyType
from identity.roles import Role
from network.demo_network import DEMO_PASSPHRASE
from network.home import Home


@dataclass(frozen=True)
class Attacker:
    id: str
    country: str
    national_id: str
    roles: frozenset[Role]


def _ru(base: str) -> str:
    return base + str(inn.calc_company_check_digit(base))


def _sg(base: str) -> str:
    return base + uen.calc_business_check_digit(base)


def _cn(base: str) -> str:
    return base + uscc.calc_check_digit(base)


ATTACKERS = (
    Attacker(
        "ru-mallory",
        "RU",
        _ru("771000001"),
        frozenset({Role.CO_ISSUER, Role.CARRIER, Role.QUARANTINE}),
    ),
    Attacker("sg-chamber", "SG", _sg("53000001"), frozenset({Role.CO_ISSUER})),
    Attacker("sg-carrier", "SG", _sg("53000002"), frozenset({Role.CARRIER})),
    Attacker("cn-terminal", "CN", _cn("91310000132210003"), frozenset({Role.TERMINAL})),
    Attacker("ru-terminal", "RU", _ru("771000002"), frozenset({Role.TERMINAL})),
    Attacker("sg-jurong", "SG", _sg("53000003"), frozenset({Role.TERMINAL})),
)


def add_organisation(
    home: Home, who: Attacker, now: datetime.datetime, ledger_key_of: str | None = None
) -> None:
    """Certify ``who`` under its country's root in ``home``, with keys made here; or, with
    ``ledger_key_of``, with that organisation's ledger key (a certificate over someone
    else's key, and the key itself, as if its holder signed for both)."""
    passphrase = DEMO_PASSPHRASE.encode()
    root = home.root(who.country)
    root_key = keys.load(home.path / "roots" / f"{who.country}.key", passphrase)
    org = Organisation(who.id, f"{who.id} (test)", who.country, who.national_id, who.roles)
    folder: Path = home.path / "orgs" / who.id
    folder.mkdir(parents=True, exist_ok=True)
    for purpose, key_type in (
        (Purpose.DOCUMENT, KeyType.P256),
        (Purpose.LEDGER, KeyType.SECP256K1),
    ):
        if purpose is Purpose.LEDGER and ledger_key_of is not None:
            key = home.signing_key(ledger_key_of, Purpose.LEDGER)
        else:
            key = keys.generate(key_type)
        cert = issue_organisation_certificate(root, root_key, org, key.public_key(), purpose, now)
        keys.save(key, folder / f"{purpose.value}.key", passphrase)
        (folder / f"{purpose.value}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def add_attackers(home: Home, now: datetime.datetime) -> None:
    for who in ATTACKERS:
        add_organisation(home, who, now)
