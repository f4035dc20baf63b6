"""The PINT schemas interop.pint applies are DCSA's own, derived from the vendored file; and
what the platform signs satisfies them."""

import json

from interop.pint import schema
from interop.pint.models import EnvelopeManifest, FinishedResponse, TransferChainEntry
from tests.interop.pint.crafting import draft, payload_of
from tests.interop.pint.platforms import example_td
from tests.interop.pint.spec import derived_schema_text, pint_spec


def test_the_derived_schema_is_exactly_what_the_vendored_file_gives():
    assert schema.FILE.read_text(encoding="utf-8") == derived_schema_text(), (
        "regenerate: python -m tests.interop.pint.spec --write"
    )


def test_it_holds_every_schema_the_platform_applies():
    names = set(json.loads(schema.FILE.read_text())["components"]["schemas"])
    assert set(schema.ROOTS) <= names
    assert "TransportDocument" in names  # the envelope's, as PINT 3.0.0 writes it


def test_dcsas_own_examples_pass_the_schemas_and_parse():
    schemas = pint_spec()["components"]["schemas"]
    example = schemas["EnvelopeTransferFinishedResponse"]["example"]
    assert schema.is_valid("EnvelopeTransferFinishedResponse", example)
    assert FinishedResponse.model_validate(example).responseCode.value == "RECE"
    # The manifest inside DCSA's example envelope (its signature is random, the payload not).
    manifest = payload_of(schemas["EnvelopeManifestSignedContent"]["example"])
    assert schema.is_valid("EnvelopeManifest", manifest)
    EnvelopeManifest.model_validate(manifest)


def test_what_a_platform_signs_satisfies_dcsas_schemas(net):
    a, b = net.build("AEOT", served=False), net.build("SGTD", served=False)
    body = draft(a, b, example_td()).body()
    assert schema.violations("EblEnvelope", body) == []
    entry = payload_of(body["envelopeTransferChain"][0])
    assert schema.violations("EnvelopeTransferChainEntry", entry) == []
    TransferChainEntry.model_validate(entry)
    assert (
        schema.violations("IssuanceManifest", payload_of(entry["issuanceManifestSignedContent"]))
        == []
    )


def test_violations_name_the_place_and_never_the_value():
    found = schema.violations("IdentifyingCode", {"codeListProvider": "x" * 101, "partyCode": 7})
    assert any(f.startswith("$.codeListProvider") for f in found)
    assert not any("xxxx" in f for f in found)
