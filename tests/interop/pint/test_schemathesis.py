"""DCSA's own PINT 3.0.0 OpenAPI file against our receiving platform, over a real socket:
schemathesis generates requests from the vendored spec and validates every response
against it (status codes, content types, headers, schemas). No 5xx.

Bounded and repeatable: a fixed number of derandomised examples per operation.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from interop.dcsa import PINT_SPEC
from interop.pint.signatures import verify
from tests.interop.pint.crafting import b64, document, draft
from tests.interop.pint.platforms import example_td

# Generating a whole transport document takes seconds (hypothesis, DCSA's 58 schemas):
# fewer examples for the envelope itself.
EXAMPLES = {"POST /v3/envelopes": 4}
EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_platform_answers_as_dcsas_spec_says(net):
    platform = net["SGTD"]
    schema = schemathesis.openapi.from_path(str(PINT_SPEC))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.label for o in operations} == {
        "POST /v3/envelopes",
        "PUT /v3/envelopes/{envelopeReference}/additional-documents/{documentChecksum}",
        "PUT /v3/envelopes/{envelopeReference}/finish-transfer",
        "POST /v3/receiver-validation",
    }
    seen: dict[str, set[int]] = {}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES.get(operation.label, EXAMPLES_PER_OPERATION),
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def conforms(case):
            response = case.call_and_validate(base_url=platform.url, checks=CHECKS)
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        conforms()
    assert all(status < 500 for statuses in seen.values() for status in statuses), seen
    assert 422 in seen["POST /v3/envelopes"]  # generated envelopes reach the signed refusal


def test_a_real_transfer_conforms_to_dcsas_spec_at_every_step(net):
    """The success paths (201, 204, 200 signed, 200 party name), which random requests
    never reach, are checked against the same spec."""
    a, b = net.build("AEOT", served=False), net["SGTD"]
    schema = schemathesis.openapi.from_path(str(PINT_SPEC))
    d = draft(a, b, example_td())
    d.documents = [document(INVOICE)]
    headers = {"API-Version": "3"}

    def call(path, method, **kw):
        case = schema[path][method].Case(headers=headers, media_type="application/json", **kw)
        return case.call_and_validate(base_url=b.url, checks=CHECKS)

    found = call("/v3/receiver-validation", "POST", body=b.code_of("sg-importer").wire())
    assert found.json() == {"partyName": "Lion City Fresh Produce Pte. Ltd."}
    assert found.headers["api-version"] in ("3.0.0", ["3.0.0"])
    unknown = b.code_of("sg-nobody").wire()
    assert call("/v3/receiver-validation", "POST", body=unknown).status_code == 404

    started = call("/v3/envelopes", "POST", body=d.body())
    assert started.status_code == 201
    ref = started.json()["envelopeReference"]
    checksum = d.documents[0]["documentChecksum"]
    early = call(
        "/v3/envelopes/{envelopeReference}/finish-transfer",
        "PUT",
        path_parameters={"envelopeReference": ref},
    )
    assert early.status_code == 409  # MDOC, signed
    upload = call(
        "/v3/envelopes/{envelopeReference}/additional-documents/{documentChecksum}",
        "PUT",
        path_parameters={"envelopeReference": ref, "documentChecksum": checksum},
        body=b64(INVOICE),
    )
    assert upload.status_code == 204
    done = call(
        "/v3/envelopes/{envelopeReference}/finish-transfer",
        "PUT",
        path_parameters={"envelopeReference": ref},
    )
    assert done.status_code == 200
    assert code_of_token(done.json(), b) == "RECE"


INVOICE = b"%PDF-1.7 an invoice"


def code_of_token(token, platform):
    return verify(token, platform.receiver.ring).payload["responseCode"]
