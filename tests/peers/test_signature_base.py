"""The signature base tdx writes for its one RFC 9421 request profile is the
``http-message-signatures`` library's, byte for byte: the headers signed here are the ones the
library's signer writes (Ed25519 is deterministic, so the signature too), the library's verifier
accepts every request signed here, and the node's verifier accepts the library's, whatever the
order of the parameters, the nonce's characters or the body. Where the node refuses what the
library would take, it is the profile's rule (exactly these components, this tag)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import string
from typing import Any

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity.node_certificates import issue_node_certificate, judge_node
from network.peers import http_signatures, signature_base
from network.peers.http_signatures import (
    CERTIFICATE_HEADER,
    LABEL,
    TAG,
    PeerAuthError,
    RequestSigner,
    RequestVerifier,
    sign_request,
)
from tests.pki import NOW, empty_crl, make_root, make_trust_list

BASE_URL = "http://127.0.0.1:9"
PATHS = ["/v1/peer/verification-queries", "/v1/peer/deliveries", "/a%20b/c;d=e", ""]
NONCE_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    root = make_root("RU")
    key = ed25519.Ed25519PrivateKey.generate()
    cert = issue_node_certificate(root.cert, root.key, key.public_key(), NOW)
    return {
        "root": root,
        "trust": make_trust_list(root),
        "crls": {"RU": empty_crl(root)},
        "key": key,
        "cert": cert,
        "key_id": RequestSigner(key, cert).key_id,
    }


class _Message:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


class _LibraryVerifier(HTTPMessageVerifier):
    max_clock_skew = datetime.timedelta(days=3650)  # judged at NOW, not at the test's clock


def _library_signed(
    pki: dict[str, Any],
    url: str,
    body: bytes,
    now: datetime.datetime,
    nonce: str,
    covered: tuple[str, ...] = signature_base.COVERED,
):
    headers = {"Content-Type": "application/json"}
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={pki["key_id"]: pki["key"]}),
    ).sign(
        _Message("POST", url, headers),
        key_id=pki["key_id"],
        created=now,
        nonce=nonce,
        label=LABEL,
        tag=TAG,
        covered_component_ids=covered,
        body=body,
    )
    return headers


def _library_accepts(pki: dict[str, Any], url: str, headers: dict[str, str], body: bytes) -> bool:
    verifier = _LibraryVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={pki["key_id"]: pki["cert"].public_key()}, private_keys={}
        ),
    )
    try:
        verifier.verify(
            _Message("POST", url, dict(headers)),
            max_age=None,
            expect_tag=TAG,
            require_components=signature_base.COVERED,
            body=body,
        )
    except InvalidSignature:
        return False
    return True


def _node_verifier(pki: dict[str, Any]) -> RequestVerifier:
    def judge(cert: Any, now: datetime.datetime) -> tuple[str | None, str]:
        j = judge_node(cert, pki["trust"], pki["crls"], now)
        return (j.country if j.ok else None, j.reason)

    return RequestVerifier(judge, lambda nonce, expires, now: True)


def _node_accepts(pki: dict[str, Any], url: str, headers: dict[str, str], body: bytes) -> bool:
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        _node_verifier(pki).verify("POST", url, lower, body, NOW)
    except PeerAuthError as exc:
        if exc.check != "signature":
            raise
        return False
    return True


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    body=st.binary(max_size=300),
    nonce=st.text(NONCE_CHARS, min_size=1, max_size=40),
    seconds=st.integers(min_value=-250, max_value=250),
)
def test_the_headers_signed_are_the_library_s_byte_for_byte(pki, path, body, nonce, seconds):
    url = BASE_URL + path
    now = NOW + datetime.timedelta(seconds=seconds)
    ours = sign_request("POST", url, body, pki["key"], pki["cert"], now, nonce)
    theirs = _library_signed(pki, url, body, now, nonce)
    assert ours.pop(CERTIFICATE_HEADER).startswith(":")
    assert list(ours.items()) == list(theirs.items())
    assert _library_accepts(pki, url, ours, body)
    assert _node_accepts(pki, url, {**theirs, CERTIFICATE_HEADER: _cert_field(pki)}, body)


def _cert_field(pki: dict[str, Any]) -> str:
    return sign_request("POST", BASE_URL, b"", pki["key"], pki["cert"], NOW)[CERTIFICATE_HEADER]


PARAMETER_ORDERS = st.permutations(["created", "keyid", "alg", "nonce", "tag", "expires"])


def _hand_signed(
    pki: dict[str, Any], url: str, body: bytes, params: list[tuple[str, str | int]], spacing: str
) -> dict[str, str]:
    """A request signed with parameters in any order (as another RFC 9421 implementation
    may write them), its Signature-Input spelled with ``spacing`` between the components."""
    written = signature_base.signature_params(params)
    digest = signature_base.content_digest(body)
    path = signature_base.request_path(url)
    signed = signature_base.signature_base("POST", path, digest, written)
    components, parameters = written.split(")", 1)
    field = components.replace('" "', f'"{spacing}"') + ")" + parameters
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={field}",
        "Signature": signature_base.byte_sequence_member(LABEL, pki["key"].sign(signed)),
        CERTIFICATE_HEADER: _cert_field(pki),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=PARAMETER_ORDERS,
    drop=st.sets(st.sampled_from(["alg", "expires"])),
    nonce=st.text(NONCE_CHARS, min_size=1, max_size=30),
    spacing=st.sampled_from([" ", "  ", "   "]),
    tamper=st.sampled_from([None, "outer-space", "path", "digest-field", "params"]),
)
def test_the_node_and_the_library_agree_on_every_spelling(pki, order, drop, nonce, spacing, tamper):
    url = BASE_URL + PATHS[0]
    body = json.dumps({"digest": "sha256:" + "ab" * 32}).encode()
    values: dict[str, str | int] = {
        "created": int(NOW.timestamp()),
        "keyid": pki["key_id"],
        "alg": "ed25519",
        "nonce": nonce,
        "tag": TAG,
        "expires": int(NOW.timestamp()) + 3600,
    }
    params = [(name, values[name]) for name in order if name not in drop]
    headers = _hand_signed(pki, url, body, params, spacing)
    if tamper == "path":
        url = BASE_URL + PATHS[1]
    elif tamper == "outer-space":  # trimmed in the base (RFC 9421 section 2.1)
        headers["Content-Digest"] = f" {headers['Content-Digest']}\t"
    elif tamper == "digest-field":  # a digest that holds, but not the field value signed
        sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
        headers["Content-Digest"] += f", sha-512=:{sha512}:"
    elif tamper == "params":
        headers["Signature-Input"] = headers["Signature-Input"].replace(
            f"created={values['created']}", f"created={values['created'] - 1}"
        )
    library = _library_accepts(pki, url, headers, body)
    assert _node_accepts(pki, url, headers, body) is library
    assert library is (tamper in (None, "outer-space"))


@pytest.mark.parametrize(
    ("covered", "why"),
    [
        (("@method", "@path", "content-digest", "@authority"), "not exactly"),
        (("@path", "@method", "content-digest"), "not exactly"),
    ],
    ids=["more-components", "another-order"],
)
def test_the_profile_is_exactly_these_components(pki, covered, why):
    """What the library would accept but the profile does not: refused by name."""
    url = BASE_URL + PATHS[0]
    body = b"{}"
    headers = _library_signed(pki, url, body, NOW, "n", covered)
    assert _library_accepts(pki, url, headers, body)
    headers[CERTIFICATE_HEADER] = _cert_field(pki)
    lower = {k.lower(): v for k, v in headers.items()}
    with pytest.raises(PeerAuthError) as caught:
        _node_verifier(pki).verify("POST", url, lower, body, NOW)
    assert caught.value.check == "signature"
    assert why in caught.value.reason


def test_another_tag_or_an_expired_signature_is_refused(pki):
    url = BASE_URL + PATHS[0]
    now = int(NOW.timestamp())
    signed = [("created", now), ("keyid", pki["key_id"]), ("nonce", "n")]
    other_tag = _hand_signed(pki, url, b"{}", [*signed, ("tag", "other")], " ")
    assert not _library_accepts(pki, url, other_tag, b"{}")
    # The library judges expiry by its own clock; the node by the clock it is given.
    expired = _hand_signed(pki, url, b"{}", [*signed, ("tag", TAG), ("expires", now - 301)], " ")
    for headers, why in ((other_tag, "tagged"), (expired, "expired")):
        lower = {k.lower(): v for k, v in headers.items()}
        with pytest.raises(PeerAuthError) as caught:
            _node_verifier(pki).verify("POST", url, lower, b"{}", NOW)
        assert caught.value.check == "signature"
        assert why in caught.value.reason


@pytest.mark.parametrize(
    "params",
    [
        'tdx=("@method" "@path" "content-digest");created=1;keyid="k";alg=ed25519',
        'tdx=("@method" "@path" "content-digest");created=1;keyid="k";color="red"',
        'tdx=("@method" "@path";req "content-digest");created=1;keyid="k"',
        'tdx=("@method" "@path" "content-digest");created=?1;keyid="k"',
    ],
    ids=["token-alg", "unknown-parameter", "component-parameter", "boolean-created"],
)
def test_parameters_outside_rfc_9421_are_refused_as_signature_input(pki, params):
    headers = sign_request("POST", BASE_URL + PATHS[0], b"{}", pki["key"], pki["cert"], NOW)
    headers["Signature-Input"] = params
    lower = {k.lower(): v for k, v in headers.items()}
    with pytest.raises(PeerAuthError) as caught:
        _node_verifier(pki).verify("POST", BASE_URL + PATHS[0], lower, b"{}", NOW)
    assert caught.value.check == "signature-input"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    nonce=st.one_of(
        st.text(st.sampled_from(string.ascii_letters + string.digits + "_-"), min_size=1),
        st.text(NONCE_CHARS, min_size=1, max_size=40),
    ),
    created=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.binary(max_size=64),
)
def test_the_signer_s_own_fields_read_by_pattern_are_what_http_sf_reads(pki, nonce, created, body):
    """What every tdx node sends is read by pattern; anything else by http_sf. For every
    field the pattern takes, both give the same parameters, base and signature bytes."""
    now = datetime.datetime.fromtimestamp(created, datetime.UTC)
    headers = sign_request("POST", BASE_URL + PATHS[0], body, pki["key"], pki["cert"], now, nonce)
    lower = {k.lower(): v for k, v in headers.items()}
    fast = http_signatures._signature_input(lower)
    assert fast == http_signatures._parsed_signature_input(lower)
    taken = http_signatures._OWN_INPUT.fullmatch(lower["signature-input"]) is not None
    assert taken is (re.fullmatch(r"[A-Za-z0-9_-]{1,128}", nonce) is not None)
    signature = http_signatures._signature(lower)
    assert http_signatures._OWN_SIGNATURE.fullmatch(lower["signature"]) is not None
    assert signature == http_sf.parse(lower["signature"].encode(), tltype="dictionary")[LABEL][0]
