"""The demo network: four country roots and realistic organisations on both corridors.

National identifiers are illustrative: they pass their schemes' check digits but are not
claimed to be the organisations' registered numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from identity.keys import KeyType
from identity.roles import Role

# The demo's documented fixed passphrase; a real home takes TDX_PASSPHRASE or a prompt.
DEMO_PASSPHRASE = "tdx-demo-passphrase"  # noqa: S105
# Where the countries' nodes serve by default: 127.0.0.1 from this port on, in COUNTRIES order.
DEFAULT_BASE_PORT = 8100

R = Role


@dataclass(frozen=True)
class DemoCountry:
    code: str
    root_name: str
    algorithms: frozenset[str]
    roles: frozenset[Role]


@dataclass(frozen=True)
class DemoOrg:
    id: str
    name: str
    country: str
    org_id: str
    roles: frozenset[Role]
    key_type: KeyType = KeyType.P256


COUNTRIES = (
    # China and Russia also recognise their national signature algorithms (identity.national).
    DemoCountry(
        "CN", "China Trade Document Root CA", frozenset({"ES256", "SM2SM3"}), frozenset(Role)
    ),
    DemoCountry(
        "SG",
        "Singapore Trade Document Root CA",
        frozenset({"ES256", "EdDSA"}),
        frozenset(Role) - {R.RAIL},
    ),
    DemoCountry(
        "RU",
        "Russia Trade Document Root CA",
        frozenset({"ES256", "GOST3410-2012-256"}),
        frozenset(Role),
    ),
    DemoCountry(
        "KZ",
        "Kazakhstan Trade Document Root CA",
        frozenset({"ES256"}),
        frozenset(Role) - {R.CARRIER},
    ),
)

ORGANISATIONS = (
    DemoOrg(
        "cn-gacc",
        "General Administration of Customs of the People's Republic of China",
        "CN",
        "11100000000013127D",
        frozenset({R.CUSTOMS, R.QUARANTINE, R.CO_ISSUER}),
    ),
    DemoOrg(
        "cn-ccpit",
        "China Council for the Promotion of International Trade",
        "CN",
        "121000007178000014",
        frozenset({R.CO_ISSUER}),
        KeyType.SM2,  # signs with SM2/SM3 (GB/T 32918.2)
    ),
    DemoOrg(
        "cn-cosco",
        "COSCO SHIPPING Lines Co., Ltd.",
        "CN",
        "91310000132210001R",
        frozenset({R.CARRIER}),
    ),
    DemoOrg(
        "cn-exporter",
        "Zhejiang Orchard Fresh Export Co., Ltd.",
        "CN",
        "91330400MA2B8XK37Q",
        frozenset({R.SHIPPER}),
    ),
    DemoOrg("cn-boc", "Bank of China Limited", "CN", "911100001000010014", frozenset({R.BANK})),
    DemoOrg(
        "cn-railway",
        "China State Railway Group Co., Ltd.",
        "CN",
        "91110000717802001H",
        frozenset({R.RAIL}),
    ),
    DemoOrg(
        "sg-customs",
        "Singapore Customs",
        "SG",
        "T08GA0041F",
        frozenset({R.CUSTOMS}),
        KeyType.ED25519,
    ),
    DemoOrg(
        "sg-importer",
        "Lion City Fresh Produce Pte. Ltd.",
        "SG",
        "201912345R",
        frozenset({R.CONSIGNEE}),
    ),
    DemoOrg("sg-dbs", "DBS Bank Ltd.", "SG", "196800306E", frozenset({R.BANK})),
    DemoOrg("sg-psa", "PSA Corporation Limited", "SG", "197800008H", frozenset({R.TERMINAL})),
    DemoOrg(
        "sg-haulier", "Jurong Port Haulage Pte. Ltd.", "SG", "202012346Z", frozenset({R.HAULIER})
    ),
    DemoOrg(
        "ru-customs",
        "Federal Customs Service of Russia",
        "RU",
        "7730176610",
        frozenset({R.CUSTOMS}),
    ),
    DemoOrg(
        "ru-rosselkhoznadzor",
        "Federal Service for Veterinary and Phytosanitary Surveillance (Rosselkhoznadzor)",
        "RU",
        "7702070139",
        frozenset({R.QUARANTINE}),
        KeyType.GOST_2012_256,  # signs with GOST R 34.10-2012 (Streebog-256)
    ),
    DemoOrg("ru-rzd", "Russian Railways (RZD)", "RU", "7708503727", frozenset({R.RAIL})),
    DemoOrg("ru-importer", "Volga Agro Import LLC", "RU", "7714123459", frozenset({R.CONSIGNEE})),
    DemoOrg(
        "kz-customs",
        "State Revenue Committee of the Republic of Kazakhstan (Customs)",
        "KZ",
        "020340001237",
        frozenset({R.CUSTOMS}),
    ),
    DemoOrg("kz-ktz", "Kazakhstan Temir Zholy JSC", "KZ", "940440004567", frozenset({R.RAIL})),
    DemoOrg(
        "kz-dostyk-terminal",
        "Dostyk Transit Terminal LLP",
        "KZ",
        "051240007898",
        frozenset({R.TERMINAL}),
    ),
    DemoOrg(
        "kz-auditor",
        "Eurasia Trade Audit LLP",
        "KZ",
        "990640000124",
        frozenset({R.AUDITOR}),
    ),
)
