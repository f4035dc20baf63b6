"""The verification report: each way a document can fail names its own check."""

import datetime
import json

import pytest

from chaincode.documents.registry import DocumentKind, validate_document
from identity import jws
from identity.checks import Status
from network import signed_document
from network.verifier import ORDER, Verifier
from tests.conftest import EXAMPLES
from tests.pki import make_root, make_signer

NOW = datetime.datetime.now(datetime.UTC)
CASES = [
    (DocumentKind.CO, "co_cn_sg.json", "cn-gacc"),
    (DocumentKind.EBL, "ebl_cnsha_sgsin.json", "cn-cosco"),
    (DocumentKind.PHYTO, "phyto_cn_kz_apples.json", "cn-gacc"),
    (DocumentKind.RAIL, "rail_chongqing_almaty.json", "cn-railway"),
]


def _doc(kind, name):
    return validate_document(kind, (EXAMPLES / name).read_bytes())


def _verify(home, envelope, now=NOW):
    verifier = Verifier(home.trust_list(), home.revocation_lists())
    return verifier.verify(json.dumps(envelope.to_json()).encode(), now)


def _failed(report):
    return [c.name for c in report.checks if c.status is Status.FAIL]


@pytest.mark.parametrize(("kind", "name", "org"), CASES)
def test_each_example_signed_by_its_issuer_is_valid(demo_home, kind, name, org):
    report = _verify(demo_home, signed_document.sign(demo_home, org, _doc(kind, name), NOW))
    assert report.valid, report.to_json()
    assert [c.name for c in report.checks] == list(ORDER)
    assert report.facts["issuer"] == org


def test_eddsa_signer_verifies(demo_home):
    # sg-customs signs with Ed25519; SG lists EdDSA. It has no role to issue a CO, so only
    # that check fails: the algorithm is accepted end to end.
    report = _verify(
        demo_home, signed_document.sign(demo_home, "sg-customs", _doc(*CASES[0][:2]), NOW)
    )
    assert _failed(report) == ["role-for-type"]
    assert report.checks[1].reason.startswith("EdDSA")


def test_one_changed_field_fails_integrity_only(demo_home):
    env = signed_document.sign(demo_home, "cn-gacc", _doc(*CASES[0][:2]), NOW)
    document = json.loads(json.dumps(env.document))
    document["items"][0]["description"] += " (altered)"
    report = _verify(demo_home, signed_document.Envelope(env.kind, document, env.signature))
    assert _failed(report) == ["integrity"]
    assert "changed after signing" in report.checks[2].reason


def test_wrong_role_for_the_document_type(demo_home):
    report = _verify(
        demo_home, signed_document.sign(demo_home, "cn-cosco", _doc(*CASES[0][:2]), NOW)
    )
    assert _failed(report) == ["role-for-type"]
    assert "role co_issuer required" in report.checks[5].reason


def test_right_role_wrong_country(demo_home):
    # ru-rosselkhoznadzor is a quarantine authority, but the apples certificate is China's.
    report = _verify(
        demo_home,
        signed_document.sign(demo_home, "ru-rosselkhoznadzor", _doc(*CASES[2][:2]), NOW),
    )
    assert _failed(report) == ["role-for-type"]
    assert "must be issued by an organisation of CN" in report.checks[5].reason


def test_chain_to_an_unlisted_root(demo_home):
    rogue = make_signer(make_root("CN"), org_id="cn-gacc")
    doc = _doc(*CASES[0][:2])
    payload = json.dumps(
        {"kind": "co", "digest": doc.digest, "signedAt": signed_document.timestamp(NOW)}
    ).encode()
    token = jws.sign(payload, rogue.key, rogue.chain, signed_document.JWS_TYPE)
    report = _verify(demo_home, signed_document.Envelope(doc.kind, doc.content, token))
    assert _failed(report) == ["chain"]
    assert "not on the trust list" in report.checks[4].reason
    assert {c.status for c in report.checks[5:]} == {Status.NOT_CHECKED}
    assert not report.valid


def test_certificate_revoked_before_signing(demo_home):
    doc = _doc(*CASES[0][:2])
    revoked = demo_home.revoke("cn-ccpit", NOW, NOW)
    before = signed_document.sign(
        demo_home, "cn-ccpit", doc, revoked - datetime.timedelta(seconds=1)
    )
    after = signed_document.sign(
        demo_home, "cn-ccpit", doc, revoked + datetime.timedelta(seconds=1)
    )
    later = NOW + datetime.timedelta(minutes=1)
    assert _verify(demo_home, before, later).valid
    report = _verify(demo_home, after, later)
    assert _failed(report) == ["revocation"]
    assert "before the signature" in report.checks[6].reason


@pytest.mark.parametrize(
    ("data", "check"),
    [
        (b"not json", "format"),
        (b'{"format": "tdx-signed-document/1", "kind": "visa"}', "format"),
        (
            b'{"format": "tdx-signed-document/1", "kind": "co", "document": {}, "signature": "x"}',
            "signature",
        ),
    ],
)
def test_garbage_fails_closed_with_the_first_check_named(demo_home, data, check):
    verifier = Verifier(demo_home.trust_list(), demo_home.revocation_lists())
    report = verifier.verify(data, NOW)
    assert _failed(report) == [check]
    assert not report.valid
    assert len(report.checks) == len(ORDER)
