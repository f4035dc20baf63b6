"""A node that validated a document when it issued it may rely on that validation when it
verifies the same content later, only under the same rules, for the signer's own record,
and for the kind it validated; the report says when it did. Otherwise it validates."""

import json
import sqlite3

import pytest

from chaincode.documents.registry import DocumentKind
from identity.checks import CheckName
from network import examples, signing
from network.node import Node
from network.verification import rules

AT_ISSUE = "validated by this node when it issued it"


@pytest.fixture
def node(demo_home):
    with Node(demo_home) as built:
        yield built


def _issue(node):
    issued = node.issue(DocumentKind.CO, examples.read(examples.CO), "cn-gacc")
    return issued.document, node.store.get(issued.document.digest)


def _note(node, sql, *params):
    with sqlite3.connect(node.home.path / "ledger.db") as db:
        db.execute(sql, params)


def _document_reason(report) -> str:
    return report.check(CheckName.DOCUMENT).reason


def test_the_issuing_node_relies_on_its_validation_at_issue_and_says_so(node):
    _, signed = _issue(node)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert AT_ISSUE in _document_reason(report)
    assert rules.fingerprint()[:19] in _document_reason(report)


def test_changed_rules_mean_the_document_is_validated_again(node, monkeypatch):
    _, signed = _issue(node)
    monkeypatch.setattr(rules, "fingerprint", lambda: "sha256:" + "0" * 64)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert _document_reason(report) == "valid co document"


def test_no_note_or_a_note_of_another_kind_means_validation(node):
    doc, signed = _issue(node)
    _note(node, "UPDATE signed_documents SET kind = 'ebl' WHERE id = ?", doc.digest)
    assert _document_reason(node.verify(signed)) == "valid co document"
    _note(node, "UPDATE signed_documents SET kind = NULL, rules = NULL WHERE id = ?", doc.digest)
    assert _document_reason(node.verify(signed)) == "valid co document"


def test_the_issuing_country_recorded_at_issue_is_what_role_for_type_judges(node):
    doc, signed = _issue(node)
    _note(node, "UPDATE signed_documents SET country = 'SG' WHERE id = ?", doc.digest)
    report = node.verify(signed)
    assert not report.valid
    assert report.failed_names() == ["role-for-type"]


def test_a_re_signature_by_another_organisation_is_validated_not_taken_on_trust(node):
    doc, _ = _issue(node)
    resigned = signing.sign(node.home, "cn-ccpit", doc, node.clock())
    report = node.verify(json.dumps(resigned.to_json()).encode())
    assert report.failed_names() == ["anchored"]
    assert _document_reason(report) == "valid co document"


def test_a_changed_document_is_never_covered_by_the_note(node):
    _, signed = _issue(node)
    envelope = json.loads(signed)
    envelope["document"]["certificateNumber"] = "CHANGED-1"
    report = node.verify(json.dumps(envelope).encode())
    assert not report.valid
    assert "integrity" in report.failed_names()
    assert AT_ISSUE not in _document_reason(report)
