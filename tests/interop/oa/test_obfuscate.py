"""Obfuscation, byte for byte against the official obfuscateDocument, and its refusals."""

from __future__ import annotations

import pytest

from chaincode.documents.registry import ValidDocument
from interop.oa import OaError, OaIssuer, dumps, oa_data, obfuscate, wrap_document
from interop.oa.hashing import digest_document
from tests.interop.oa.judge import judge

ISSUER = OaIssuer(
    "Issuer", "issuer.example", document_store="0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d"
)

PATHS = [
    ["document.exporter.address"],
    ["document.items.1.hsCode", "document.invoice"],
    ["document.items[0].marks", "name"],
    ["document.importer.name", "document.importer"],  # overlapping: hidden once
    ["document.transport", "document.transport.means"],
    ["document.items.2.declarationLines.0.lineNumber", "document.certification.date"],
    ["tdx.canonicalization", "document.no.such.path"],
    ["document.producer.nationalId", "document.exporter.nationalId", "document.items.0.unit"],
]


@pytest.fixture(scope="module")
def wrapped(co: ValidDocument) -> dict:
    return wrap_document(oa_data(co, ISSUER))


@pytest.mark.parametrize("paths", PATHS)
def test_byte_identical_to_official(wrapped: dict, paths: list[str]) -> None:
    official = judge({"op": "obfuscate", "document": wrapped, "fields": paths})
    ours = obfuscate(wrapped, paths)
    assert dumps(ours) == official["text"]
    assert (
        digest_document(ours["data"], ours["privacy"]["obfuscatedData"])
        == (wrapped["signature"]["targetHash"])
    )


def test_obfuscating_twice_appends_and_official_verifies(wrapped: dict) -> None:
    once = obfuscate(wrapped, ["document.exporter"])
    twice = obfuscate(once, ["document.items.0.description", "document.items.1.description"])
    official = judge(
        {
            "op": "obfuscate",
            "document": once,
            "fields": ["document.items.0.description", "document.items.1.description"],
        }
    )
    assert dumps(twice) == official["text"]
    assert len(twice["privacy"]["obfuscatedData"]) == 4 + 2  # exporter has 4 fields
    assert "exporter" not in twice["data"]["document"]
    assert judge({"op": "verifySignature", "documents": [once, twice]})["results"] == [True, True]


@pytest.mark.parametrize(
    ("paths", "rule"),
    [
        (["document.items.1"], "array item"),
        (["document.invoice.value.amount", "document.invoice.value.currency"], "empty"),
        (["issuers.0.name"], "issuers block"),
        (["issuers"], "issuers block"),
    ],
)
def test_requests_that_would_break_the_document_are_refused(
    wrapped: dict, paths: list[str], rule: str
) -> None:
    with pytest.raises(OaError) as caught:
        obfuscate(wrapped, paths)
    assert rule in caught.value.rule
    assert caught.value.field in paths


def test_the_official_result_of_a_refused_request_is_indeed_broken(wrapped: dict) -> None:
    """Why we refuse: the official library obliges, and the document no longer verifies."""
    for paths in (
        ["document.items.1"],
        [
            "document.declaration.place",
            "document.declaration.date",
            "document.declaration.signatory",
        ],
    ):
        broken = judge({"op": "obfuscate", "document": wrapped, "fields": paths})["document"]
        assert judge({"op": "verifySignature", "documents": [broken]})["results"] == [False]


def test_the_input_is_not_changed(wrapped: dict) -> None:
    before = dumps(wrapped)
    obfuscate(wrapped, ["document.exporter"])
    assert dumps(wrapped) == before
