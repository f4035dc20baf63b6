"""Fixtures for the OpenAttestation tests: the session's anvil (chain id 1337), a chain
client, TradeTrust's DocumentStore deployed on it, and the example tdx documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from chaincode.documents.registry import DocumentKind, ValidDocument, validate_document
from interop.oa import DocumentStore, OaIssuer, StaticDnsTxt, record_text
from ledger.evm.chain import Chain
from network.evm.anvil import dev_accounts
from tests.evm.conftest import anvil  # noqa: F401 (the session's anvil node, reused)

EXAMPLES = Path(__file__).resolve().parents[3] / "network" / "examples"
DOMAIN = "oa.tdx.example"


def example(name: str, kind: DocumentKind) -> ValidDocument:
    return validate_document(kind, (EXAMPLES / name).read_bytes())


@pytest.fixture(scope="session")
def co() -> ValidDocument:
    return example("co_cn_sg.json", DocumentKind.CO)


@pytest.fixture(scope="session")
def ebl() -> ValidDocument:
    return example("ebl_cnsha_sgsin.json", DocumentKind.EBL)


@pytest.fixture(scope="session")
def examples() -> list[ValidDocument]:
    return [
        example("co_cn_sg.json", DocumentKind.CO),
        example("ebl_cnsha_sgsin.json", DocumentKind.EBL),
        example("phyto_cn_kz_apples.json", DocumentKind.PHYTO),
        example("rail_chongqing_almaty.json", DocumentKind.RAIL),
    ]


@pytest.fixture(scope="session")
def chain(anvil: str) -> Chain:  # noqa: F811
    return Chain.connect(anvil)


@pytest.fixture(scope="session")
def accounts() -> list[LocalAccount]:
    return dev_accounts(4)


@pytest.fixture(scope="session")
def store(chain: Chain, accounts: list[LocalAccount]) -> DocumentStore:
    return DocumentStore.deploy(chain, accounts[0], "tdx OA tests")


@pytest.fixture(scope="session")
def issuer(store: DocumentStore) -> OaIssuer:
    return OaIssuer("Shanghai Customs (tdx)", DOMAIN, document_store=store.address)


@pytest.fixture(scope="session")
def dns(store: DocumentStore, chain: Chain) -> StaticDnsTxt:
    return StaticDnsTxt({DOMAIN: [record_text(store.address, chain.chain_id)]})


def load(text: str) -> dict:
    return json.loads(text)
