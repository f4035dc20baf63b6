"""Every TransportDocument example in DCSA's own eBL 3.0.3 OpenAPI file (the copy vendored in
interop/dcsa/spec) goes through the model and DCSA's schema."""

import pytest
from pydantic import ValidationError

from chaincode.documents.base import field_errors
from chaincode.documents.dcsa import transport_document_violations
from chaincode.documents.ebl import TransportDocument
from tests.documents.dcsa_spec import as_json, ebl_spec

# Its check digit is 1, not 7: DCSA's dangerous-goods examples use a container number that
# ISO 6346 refuses.
BAD_CONTAINER = "HLXU1234567"


def _walk(node, path):
    yield path, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _walk(child, (*path, i))


def _name(path):
    # Keys such as "/v3/transport-documents/{transportDocumentReference}" contain slashes.
    return ".".join(f"[{k}]" if "/" in str(k) else str(k) for k in path)


def _looks_like_td(node):
    # Schema definitions also have these two keys, but as property objects, not strings.
    return (
        isinstance(node, dict)
        and isinstance(node.get("transportDocumentReference"), str)
        and "transportDocumentTypeCode" in node
    )


def _candidates():
    return [(_name(path), node) for path, node in _walk(ebl_spec(), ()) if _looks_like_td(node)]


CANDIDATES = _candidates()
# Two shipping-instructions examples also carry a transportDocumentReference and a type code;
# they are not transport documents (no transportDocumentStatus, a shippingInstructionsStatus).
EXAMPLES = [(name, node) for name, node in CANDIDATES if "transportDocumentStatus" in node]


def _has_bad_container(node):
    return BAD_CONTAINER in str(node)


def test_the_spec_has_its_examples():
    assert len(CANDIDATES) == 11
    shipping_instructions = [n for _, n in CANDIDATES if "transportDocumentStatus" not in n]
    assert len(shipping_instructions) == 2
    assert all("shippingInstructionsStatus" in node for node in shipping_instructions)
    assert len(EXAMPLES) == 9
    assert sum(_has_bad_container(node) for _, node in EXAMPLES) == 3


@pytest.mark.parametrize(
    "node",
    [pytest.param(node, id=name) for name, node in EXAMPLES if not _has_bad_container(node)],
)
def test_dcsa_example_validates(node):
    assert list(transport_document_violations(node)) == []
    td = TransportDocument.model_validate_json(as_json(node))
    assert td.transportDocumentReference == node["transportDocumentReference"]
    assert td.container_numbers()


@pytest.mark.parametrize(
    "node",
    [pytest.param(node, id=name) for name, node in EXAMPLES if _has_bad_container(node)],
)
def test_dcsa_example_with_bad_check_digit_fails_on_that_alone(node):
    # DCSA's schema does not check the digit: only our ISO 6346 rule refuses it.
    assert list(transport_document_violations(node)) == []
    with pytest.raises(ValidationError) as exc_info:
        TransportDocument.model_validate_json(as_json(node))
    errors = field_errors(exc_info.value)
    # The cargo item names the same container as the equipment, so both places are reported.
    assert sorted((e.path, e.rule) for e in errors) == [
        ("$.consignmentItems[0].cargoItems[0].equipmentReference", "iso6346_check_digit"),
        ("$.utilizedTransportEquipments[0].equipment.equipmentReference", "iso6346_check_digit"),
    ]
    assert all("expected 1" in e.message for e in errors)
