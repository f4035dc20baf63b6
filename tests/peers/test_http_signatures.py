"""RFC 9421 signed node-to-node requests, checked by the receiver one check at a time: each
way a request can be wrong is refused with the check that names it (``signature-input``,
``certificate``, ``clock-skew``, ``signature``, ``content-digest``, ``nonce``), and a refused
request spends no nonce. In process, with real certificates and a real nonce table."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from identity import revocation
from identity.certificates import fingerprint
from identity.keys import KeyType
from identity.node_certificates import issue_node_certificate, judge_node
from network.peers.http_signatures import (
    CERTIFICATE_HEADER,
    COVERED,
    MAX_SKEW,
    PeerAuthError,
    RequestVerifier,
    sign_request,
)
from network.replay import ReplayCache
from tests.pki import NOW, empty_crl, make_root, make_signer, make_trust_list

URL = "http://127.0.0.1:9/v1/peer/verification-queries"
BODY = json.dumps({"digest": "sha256:" + "ab" * 32}).encode()


@pytest.fixture(scope="module")
def pki():
    cn, ru = make_root("CN"), make_root("RU")
    trust = make_trust_list(cn, ru)
    ru_key = ed25519.Ed25519PrivateKey.generate()
    ru_node = issue_node_certificate(ru.cert, ru.key, ru_key.public_key(), NOW)
    return {"cn": cn, "ru": ru, "trust": trust, "key": ru_key, "cert": ru_node}


_opened: list[ReplayCache] = []


@pytest.fixture(autouse=True)
def _close_nonce_stores():
    """Each test's nonce stores are closed after it (a store holds a database and a lock file)."""
    yield
    while _opened:
        _opened.pop().close()


def _verifier(pki, tmp_path, crls=None):
    crls = crls if crls is not None else {r.country: empty_crl(r) for r in (pki["cn"], pki["ru"])}
    nonces = ReplayCache(tmp_path / "nonces.db")
    _opened.append(nonces)

    def judge(cert, now):
        j = judge_node(cert, pki["trust"], crls, now)
        return (j.country if j.ok else None, j.reason)

    return RequestVerifier(judge, nonces.first_use)


def _lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def _refused(verifier, headers, body=BODY, url=URL, method="POST", now=NOW):
    with pytest.raises(PeerAuthError) as caught:
        verifier.verify(method, url, _lower(headers), body, now)
    return caught.value


def test_a_well_signed_request_names_its_node(pki, tmp_path):
    verifier = _verifier(pki, tmp_path)
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW, "n-1")
    signed = verifier.verify("POST", URL, _lower(headers), BODY, NOW)
    assert signed.country == "RU"
    assert signed.nonce == "n-1"
    assert signed.key_id == fingerprint(pki["cert"])
    # What the signature covers, and its parameters, as the issue asks.
    assert headers["Content-Digest"].startswith("sha-256=:")
    for part in ('"@method" "@path" "content-digest"', "created=", 'nonce="n-1"', "alg="):
        assert part in headers["Signature-Input"], part
    assert f'keyid="{fingerprint(pki["cert"])}"' in headers["Signature-Input"]


# --- certificate (the chain) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "why"),
    [("SG", "not a root on the trust list"), ("CN", "is not signed by the CN root")],
    ids=["unlisted-country", "impostor-root"],
)
def test_a_node_certificate_of_a_root_not_on_the_trust_list_is_refused(pki, tmp_path, country, why):
    stranger = make_root(country)  # a root of its own, not the one listed for CN
    key = ed25519.Ed25519PrivateKey.generate()
    cert = issue_node_certificate(stranger.cert, stranger.key, key.public_key(), NOW)
    refused = _refused(_verifier(pki, tmp_path), sign_request("POST", URL, BODY, key, cert, NOW))
    assert refused.check == "certificate"
    assert why in refused.reason


def test_an_organisation_certificate_is_not_a_node_certificate(pki, tmp_path):
    org = make_signer(pki["ru"], key_type=KeyType.ED25519)
    refused = _refused(
        _verifier(pki, tmp_path),
        sign_request("POST", URL, BODY, org.key, org.cert, NOW),
    )
    assert refused.check == "certificate"


def test_an_expired_or_revoked_node_certificate_is_refused(pki, tmp_path):
    later = NOW + datetime.timedelta(days=800)  # past the node certificate's 730 days
    expired = _refused(
        _verifier(pki, tmp_path),
        sign_request("POST", URL, BODY, pki["key"], pki["cert"], later),
        now=later,
    )
    assert expired.check == "certificate"
    assert "is not valid at" in expired.reason

    ru = pki["ru"]
    revoked = revocation.Revoked(pki["cert"].serial_number, NOW - datetime.timedelta(hours=1))
    crls = {"RU": revocation.build_crl(ru.cert, ru.key, [revoked], 2, NOW)}
    refused = _refused(
        _verifier(pki, tmp_path / "r", crls),
        sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW),
    )
    assert refused.check == "certificate"
    assert "revoked" in refused.reason


def test_a_keyid_that_is_not_the_certificate_sent_is_refused(pki, tmp_path):
    other_key = ed25519.Ed25519PrivateKey.generate()
    other = issue_node_certificate(pki["ru"].cert, pki["ru"].key, other_key.public_key(), NOW)
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    der = other.public_bytes(serialization.Encoding.DER)
    headers[CERTIFICATE_HEADER] = f":{base64.b64encode(der).decode()}:"
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "certificate"
    assert "is not the fingerprint of the certificate sent" in refused.reason
    del headers[CERTIFICATE_HEADER]
    assert _refused(_verifier(pki, tmp_path / "2"), headers).check == "certificate"


# --- clock-skew -----------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [-6, 6], ids=["past", "future"])
def test_a_request_created_more_than_five_minutes_away_is_refused(pki, tmp_path, minutes):
    created = NOW + datetime.timedelta(minutes=minutes)
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], created)
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "clock-skew"
    assert "360 s from this node's clock (at most 300 s)" in refused.reason


def test_four_minutes_of_skew_is_within_bounds(pki, tmp_path):
    verifier = _verifier(pki, tmp_path)
    for n, minutes in enumerate((-4, 4)):
        created = NOW + datetime.timedelta(minutes=minutes)
        headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], created, f"k-{n}")
        assert verifier.verify("POST", URL, _lower(headers), BODY, NOW).country == "RU"
    assert datetime.timedelta(minutes=5) == MAX_SKEW


# --- signature ------------------------------------------------------------------------------


def test_a_tampered_signature_is_refused(pki, tmp_path):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    label, value = headers["Signature"].split("=:", 1)
    raw = bytearray(base64.b64decode(value.rstrip(":")))
    raw[0] ^= 1
    headers["Signature"] = f"{label}=:{base64.b64encode(bytes(raw)).decode()}:"
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "signature"


@pytest.mark.parametrize(
    ("method", "url"),
    [("PUT", URL), ("POST", "http://127.0.0.1:9/v1/peer/deliveries")],
    ids=["other-method", "other-path"],
)
def test_a_signature_for_another_method_or_path_is_refused(pki, tmp_path, method, url):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    refused = _refused(_verifier(pki, tmp_path), headers, method=method, url=url)
    assert refused.check == "signature"


def test_a_signature_by_another_key_than_the_certificate_s_is_refused(pki, tmp_path):
    impostor = ed25519.Ed25519PrivateKey.generate()
    refused = _refused(
        _verifier(pki, tmp_path), sign_request("POST", URL, BODY, impostor, pki["cert"], NOW)
    )
    assert refused.check == "signature"


def test_the_algorithm_is_never_taken_from_the_request(pki, tmp_path):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        'alg="ed25519"', 'alg="hmac-sha256"'
    )
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "signature"
    assert "is not ed25519" in refused.reason


def _signed_without(pki, covered, nonce):
    """A request signed by the library directly, covering ``covered``, nonce or none (its
    Content-Digest written here when the signature is not to cover it)."""
    key_id = fingerprint(pki["cert"])
    headers = {"Content-Type": "application/json"}

    class Message:
        method, url = "POST", URL

    message = Message()
    message.headers = headers  # type: ignore[attr-defined]
    HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: pki["key"]}),
    ).sign(
        message,
        key_id=key_id,
        created=NOW,
        nonce=nonce,
        label="tdx",
        tag="tdx-peer",
        covered_component_ids=covered,
        body=BODY if "content-digest" in covered else None,
    )
    if "content-digest" not in covered:
        digest = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
        headers["Content-Digest"] = f"sha-256=:{digest}:"
    der = pki["cert"].public_bytes(serialization.Encoding.DER)
    headers[CERTIFICATE_HEADER] = f":{base64.b64encode(der).decode()}:"
    return headers


def test_a_signature_that_does_not_cover_the_content_digest_is_refused(pki, tmp_path):
    headers = _signed_without(pki, ("@method", "@path"), "n-3")
    assert '("@method" "@path");' in headers["Signature-Input"]
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "signature"
    assert "content-digest" in refused.reason
    assert COVERED[2] == "content-digest"


# --- content-digest -------------------------------------------------------------------------


def test_a_body_that_is_not_the_one_signed_is_refused(pki, tmp_path):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    refused = _refused(_verifier(pki, tmp_path), headers, body=BODY.replace(b"ab", b"cd"))
    assert refused.check == "content-digest"


# --- nonce ----------------------------------------------------------------------------------


def test_a_replayed_nonce_is_refused_but_a_forged_request_spends_none(pki, tmp_path):
    verifier = _verifier(pki, tmp_path)
    forged = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW, "n-9")
    assert _refused(verifier, forged, body=b"{}").check == "content-digest"
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW, "n-9")
    assert verifier.verify("POST", URL, _lower(headers), BODY, NOW).nonce == "n-9"
    replay = _refused(verifier, headers, now=NOW + datetime.timedelta(seconds=1))
    assert replay.check == "nonce"
    assert "n-9 was already used (a replay)" in replay.reason


def test_a_request_without_a_nonce_is_refused(pki, tmp_path):
    headers = _signed_without(pki, COVERED, None)
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "nonce"


# --- signature-input ------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["Signature-Input", "Signature", "Content-Digest"])
def test_a_request_without_its_signature_fields_is_refused(pki, tmp_path, missing):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    del headers[missing]
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "signature-input"
    assert missing.lower() in refused.reason


def test_a_malformed_or_foreign_signature_input_is_refused(pki, tmp_path):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW)
    for bad in ("tdx=(((", headers["Signature-Input"].replace("tdx=", "other=", 1)):
        refused = _refused(_verifier(pki, tmp_path), {**headers, "Signature-Input": bad})
        assert refused.check == "signature-input"


def test_a_certificate_parsed_once_is_still_judged_on_every_request(pki, tmp_path):
    """The verifier keeps what it parsed of a certificate field (the certificate, its
    fingerprint, its key), never the judgement: the same field is refused the moment the
    judge refuses it (expired, then revoked), and accepted again when the judge accepts."""
    verdicts = iter([("RU", "ok"), (None, "expired"), (None, "revoked"), ("RU", "ok")])
    seen = []

    def judge(cert, now):
        seen.append(fingerprint(cert))
        return next(verdicts)

    nonces = ReplayCache(tmp_path / "nonces.db")
    _opened.append(nonces)
    verifier = RequestVerifier(judge, nonces.first_use)
    for n, expected in enumerate(["RU", "expired", "revoked", "RU"]):
        headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW, f"j-{n}")
        if expected == "RU":
            assert verifier.verify("POST", URL, _lower(headers), BODY, NOW).country == "RU"
        else:
            refused = _refused(verifier, headers)
            assert (refused.check, refused.reason) == ("certificate", expected)
    assert seen == [fingerprint(pki["cert"])] * 4


def test_a_created_time_out_of_any_calendar_is_a_clock_skew_refusal(pki, tmp_path):
    headers = sign_request("POST", URL, BODY, pki["key"], pki["cert"], NOW, "far")
    created = int(NOW.timestamp())
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        f"created={created}", "created=999999999999999"
    )
    refused = _refused(_verifier(pki, tmp_path), headers)
    assert refused.check == "clock-skew"
