"""The verification pipeline: each way a document can fail names its own check, and the
ledger's record speaks for a document only when it is the signer's."""

import datetime
import json

import pytest

from chaincode.documents import envelope
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.records import DocState
from identity import jws
from identity.checks import CheckName, Status
from identity.trust_store import TrustStore
from ledger.evidence import BlockRead, Evidence, MerkleInclusion
from network import signing
from network.node import Node
from network.verification import ORDER, Pipeline, Policy
from network.verification.binding import bind
from network.verification.inclusion import InclusionCheck
from tests.conftest import EXAMPLES
from tests.pki import make_root, make_signer

NOW = datetime.datetime.now(datetime.UTC)
CASES = [
    (DocumentKind.CO, "co_cn_sg.json", "cn-gacc"),
    (DocumentKind.EBL, "ebl_cnsha_sgsin.json", "cn-cosco"),
    (DocumentKind.PHYTO, "phyto_cn_kz_apples.json", "cn-gacc"),
    (DocumentKind.RAIL, "rail_chongqing_almaty.json", "cn-railway"),
]
SIGNATURE_CHECKS = ORDER[:7]
LEDGER_CHECKS = ORDER[7:]


def _doc(kind, name):
    return validate_document(kind, (EXAMPLES / name).read_bytes())


def _pipeline(home):
    return Pipeline(Policy(TrustStore(home.trust_list(), home.revocation_lists())))


def _verify(home, env, now=NOW):
    return _pipeline(home).verify(json.dumps(env.to_json()).encode(), now)


def _failed(report):
    return report.failed_names()


def _status(report, name):
    return report.check(CheckName(name)).status


@pytest.mark.parametrize(("kind", "name", "org"), CASES)
def test_each_example_signed_by_its_issuer_passes_every_signature_check(demo_home, kind, name, org):
    report = _verify(demo_home, signing.sign(demo_home, org, _doc(kind, name), NOW))
    assert [c.name for c in report.checks] == list(ORDER)
    assert {c.status for c in report.checks[:7]} == {Status.PASS}, report.to_json()
    # No ledger to look up: not a pass, so not valid.
    assert {c.status for c in report.checks[7:]} == {Status.NOT_CHECKED}
    assert not report.valid
    assert report.facts.issuer == org


def test_eddsa_signer_verifies(demo_home):
    # sg-customs signs with Ed25519; SG lists EdDSA. It has no role to issue a CO, so only
    # that check fails: the algorithm is accepted end to end.
    report = _verify(demo_home, signing.sign(demo_home, "sg-customs", _doc(*CASES[0][:2]), NOW))
    assert _failed(report) == ["role-for-type"]
    assert report.checks[1].reason.startswith("EdDSA")


def test_one_changed_field_fails_integrity_only(demo_home):
    env = signing.sign(demo_home, "cn-gacc", _doc(*CASES[0][:2]), NOW)
    document = json.loads(json.dumps(env.document))
    document["items"][0]["description"] += " (altered)"
    report = _verify(demo_home, envelope.Envelope(env.kind, document, env.signature))
    assert _failed(report) == ["integrity"]
    assert "changed after signing" in report.check(CheckName.INTEGRITY).reason


def test_wrong_role_and_right_role_wrong_country(demo_home):
    report = _verify(demo_home, signing.sign(demo_home, "cn-cosco", _doc(*CASES[0][:2]), NOW))
    assert _failed(report) == ["role-for-type"]
    assert "role co_issuer required" in report.check(CheckName.ROLE_FOR_TYPE).reason
    # ru-rosselkhoznadzor is a quarantine authority, but the apples certificate is China's.
    report = _verify(
        demo_home, signing.sign(demo_home, "ru-rosselkhoznadzor", _doc(*CASES[2][:2]), NOW)
    )
    assert _failed(report) == ["role-for-type"]
    assert "must be issued by an organisation of CN" in report.checks[5].reason


def test_chain_to_an_unlisted_root(demo_home):
    rogue = make_signer(make_root("CN"), org_id="cn-gacc")
    doc = _doc(*CASES[0][:2])
    payload = envelope.signing_payload(doc.kind, doc.digest, NOW)
    token = jws.sign(payload, rogue.key, rogue.chain, envelope.JWS_TYPE)
    report = _verify(demo_home, envelope.Envelope(doc.kind, doc.content, token))
    assert _failed(report) == ["chain"]
    assert "not on the trust list" in report.check(CheckName.CHAIN).reason
    assert {c.status for c in report.checks[5:]} == {Status.NOT_CHECKED}


def test_certificate_revoked_before_signing(demo_home):
    doc = _doc(*CASES[0][:2])
    revoked = demo_home.revoke("cn-ccpit", NOW, NOW)
    before = signing.sign(demo_home, "cn-ccpit", doc, revoked - datetime.timedelta(seconds=1))
    after = signing.sign(demo_home, "cn-ccpit", doc, revoked + datetime.timedelta(seconds=1))
    later = NOW + datetime.timedelta(minutes=1)
    assert _failed(_verify(demo_home, before, later)) == []
    report = _verify(demo_home, after, later)
    assert _failed(report) == ["revocation"]
    assert "before the signature" in report.check(CheckName.REVOCATION).reason


@pytest.mark.parametrize(
    ("data", "check", "fragment"),
    [
        (b"not json", "format", "not valid JSON"),
        (b'{"format": "tdx-signed-document/1", "kind": "visa"}', "format", "unknown"),
        (b'{"format": "x", "format": "tdx-signed-document/1"}', "format", "duplicate key"),
        (
            b'{"format": "tdx-signed-document/1", "kind": "co", "document": {}, "signature": "x"}',
            "signature",
            "compact JWS",
        ),
    ],
)
def test_garbage_fails_closed_with_the_first_check_named(demo_home, data, check, fragment):
    report = _pipeline(demo_home).verify(data, NOW)
    assert _failed(report) == [check]
    assert fragment in report.check(CheckName(check)).reason
    assert [c.name for c in report.checks] == list(ORDER)
    assert not report.valid


def test_reasons_name_the_time_of_each_call_not_the_first(demo_home):
    """The chain's reason names the time judged by this call (a cached reason once said
    'valid at 07:26:29' of a judgement made at 07:28:29)."""
    pipeline = _pipeline(demo_home)
    doc = _doc(*CASES[0][:2])
    reasons = []
    for at in (NOW, NOW + datetime.timedelta(minutes=2)):
        env = signing.sign(demo_home, "cn-gacc", doc, at)
        report = pipeline.verify(json.dumps(env.to_json()).encode(), at)
        reason = report.check(CheckName.CHAIN).reason
        assert f"valid at {report.facts.signed_at.isoformat()}" in reason
        reasons.append(reason)
    assert reasons[0] != reasons[1]


# --- the binding rule, through the node and its ledger -------------------------------------


@pytest.fixture
def node(demo_home):
    with Node(demo_home) as built:
        yield built


def _anchor_co(node):
    issued = node.issue(DocumentKind.CO, (EXAMPLES / "co_cn_sg.json").read_bytes(), "cn-gacc")
    return issued.document, node.store.get(issued.document.digest)


def test_the_issuer_s_document_is_valid_and_judged_at_its_anchoring(node):
    _, signed = _anchor_co(node)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    anchored = report.check(CheckName.ANCHORED).reason
    assert anchored.startswith("issued by cn-gacc at ")
    assert report.facts.anchored_at is not None
    chain = report.check(CheckName.CHAIN).reason
    assert f"valid at {report.facts.anchored_at.isoformat()}" in chain


def test_another_organisation_of_the_same_role_re_signing_is_invalid(node):
    doc, _ = _anchor_co(node)
    resigned = signing.sign(node.home, "cn-ccpit", doc, node.clock())
    report = node.verify(json.dumps(resigned.to_json()).encode())
    assert not report.valid
    assert _failed(report) == ["anchored"]
    reason = report.check(CheckName.ANCHORED).reason
    assert "issued by cn-gacc" in reason
    assert "signed by cn-ccpit" in reason
    # Judged at its own signing time, not at cn-gacc's anchoring.
    assert f"valid at {report.facts.signed_at.isoformat()}" in report.check(CheckName.CHAIN).reason
    assert report.facts.anchored_at is None
    assert report.facts.state is None  # the record is not the signer's: no state shown
    assert {_status(report, n) for n in ("status", "inclusion")} == {Status.NOT_CHECKED}


def test_a_revoked_organisation_re_signing_after_its_revocation_is_invalid(node):
    """The reported attack: cn-gacc anchors a CO; cn-ccpit is revoked; afterwards cn-ccpit
    signs the same content. It was VALID, judged at cn-gacc's anchoring time."""
    doc, _ = _anchor_co(node)
    revoked_at = node.home.revoke("cn-ccpit", node.clock(), node.clock())
    later = revoked_at + datetime.timedelta(seconds=6)
    resigned = signing.sign(node.home, "cn-ccpit", doc, later)
    with Node(node.home, clock=lambda: later + datetime.timedelta(seconds=1)) as fresh:
        report = fresh.verify(json.dumps(resigned.to_json()).encode())
    assert not report.valid
    assert _failed(report) == ["revocation", "anchored"]
    revocation = report.check(CheckName.REVOCATION).reason
    assert "before the signature at" in revocation
    assert "cn-gacc" in report.check(CheckName.ANCHORED).reason


def test_bind_names_both_organisations_and_both_kinds():
    at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    digest = "sha256:" + "ab" * 32
    evidence = Evidence(digest, "cn-gacc", DocumentKind.CO, at, DocState.ISSUED)
    assert bind(evidence, "cn-gacc", DocumentKind.CO, digest).bound
    other = bind(evidence, "cn-ccpit", DocumentKind.CO, digest)
    assert not other.bound
    assert "cn-gacc" in other.check.reason
    assert "cn-ccpit" in other.check.reason
    kind = bind(evidence, "cn-gacc", DocumentKind.PHYTO, digest)
    assert not kind.bound
    assert "records it as a co, but it is presented as a phyto" in kind.check.reason
    assert not bind(None, "cn-gacc", DocumentKind.CO, digest).bound
    assert not bind(evidence, "cn-gacc", DocumentKind.CO, "sha256:" + "cd" * 32).bound


def test_inclusion_reports_what_it_checked():
    check = InclusionCheck(None)
    read = BlockRead(1337, "0x" + "11" * 20, 42, "0x" + "22" * 32)
    passed = check(read)
    assert passed.status is Status.PASS
    for part in ("0x" + "11" * 20, "block 42", "0x" + "22" * 32, "chain 1337"):
        assert part in passed.reason
    assert "no Merkle" in passed.reason
    proof = MerkleInclusion(0, b"leaf", (), "not a note")
    assert check(proof).status is Status.NOT_CHECKED  # no key to check it against
    assert InclusionCheck("tdx.demo/x+00000000+AAAA")(proof).status is Status.FAIL
    assert check(None).status is Status.FAIL
