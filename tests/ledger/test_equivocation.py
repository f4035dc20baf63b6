import datetime
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.checks import Status
from ledger.tlog import checkpoint
from ledger.tlog.equivocation import Equivocation, EvidenceCheck, EvidenceError, Kind, recheck
from tests.ledger.forks import Forks

ORIGIN = "tdx.test/equivocator"
LOG = Forks(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x09" * 32))
AT = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def evidence(first: str, second: str, proof=(), source="test") -> dict:
    return Equivocation.of(LOG.vkey, first, second, proof, source, "w+1+x", AT).to_json()


def statuses(report):
    return {c.name: c.status for c in report.checks}


def test_same_size_two_roots_holds():
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    assert doc["kind"] == "same-size"
    assert doc["consistencyProof"] == []
    report = recheck(doc, LOG.vkey)
    assert report.valid, report.to_json()
    assert report.kind is Kind.SAME_SIZE
    assert "it equivocated" in report.checks[-1].reason


def test_the_document_survives_json():
    doc = evidence(LOG.note(0, 20), LOG.note(1, 30), LOG.proof(1, 20, 30))
    again = json.loads(json.dumps(doc))
    assert Equivocation.from_json(again).to_json() == doc
    assert recheck(again, LOG.vkey).valid


def test_inconsistent_with_a_failing_proof_holds():
    # The witness holds fork 0 at 20; the log proves fork 1 from 20 to 30, which fails.
    doc = evidence(LOG.note(0, 20), LOG.note(1, 30), LOG.proof(1, 20, 30))
    assert doc["kind"] == "inconsistent"
    report = recheck(doc, LOG.vkey)
    assert report.valid, report.to_json()
    assert "fails" in report.checks[-1].reason


def test_the_larger_checkpoint_comes_second_whatever_the_order_given():
    doc = evidence(LOG.note(1, 30), LOG.note(0, 20), LOG.proof(1, 20, 30))
    assert checkpoint.Checkpoint.parse(doc["first"].split("\n\n")[0].encode() + b"\n").size == 20
    assert recheck(doc, LOG.vkey).valid


def test_a_proof_that_holds_refutes_it():
    doc = evidence(LOG.note(0, 20), LOG.note(0, 30), LOG.proof(0, 20, 30))
    report = recheck(doc, LOG.vkey)
    assert not report.valid
    assert statuses(report)[EvidenceCheck.CONFLICT] is Status.FAIL
    assert "consistent" in report.checks[-1].reason


def test_it_needs_the_checkers_own_key():
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    report = recheck(doc)
    assert not report.valid
    assert statuses(report)[EvidenceCheck.KEY] is Status.NOT_CHECKED
    # Everything else checks with the key the evidence names.
    assert statuses(report)[EvidenceCheck.CONFLICT] is Status.PASS


def test_checkpoints_not_signed_by_the_checkers_key_fail():
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    other = checkpoint.verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = recheck(doc, other)
    assert not report.valid
    assert statuses(report)[EvidenceCheck.FIRST] is Status.FAIL
    assert statuses(report)[EvidenceCheck.CONFLICT] is Status.NOT_CHECKED


def test_a_doctored_document_fails():
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    doc["second"] = doc["first"]  # the same checkpoint twice: no conflict
    assert not recheck(doc, LOG.vkey).valid
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    doc["second"] = LOG.note(1, 21)
    report = recheck(doc, LOG.vkey)
    assert not report.valid
    assert "differ" in report.checks[-1].reason
    doc = evidence(LOG.note(0, 20), LOG.note(1, 20))
    doc["first"] = doc["first"].replace("\n20\n", "\n21\n")  # the signature no longer fits
    assert statuses(recheck(doc, LOG.vkey))[EvidenceCheck.FIRST] is Status.FAIL


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "x"}, "format"),
        ({"kind": "other"}, "kind"),
        ({"first": 1}, "first"),
        ({"consistencyProof": "AA=="}, "consistencyProof"),
        ({"consistencyProof": ["!!"]}, "consistencyProof"),
        ({"detectedAt": "yesterday"}, "detectedAt"),
    ],
)
def test_malformed_documents_name_the_field(change, field):
    doc = {**evidence(LOG.note(0, 20), LOG.note(1, 20)), **change}
    report = recheck(doc, LOG.vkey)
    assert not report.valid
    assert report.checks[0].name is EvidenceCheck.FORMAT
    assert field in report.checks[0].reason


def test_no_evidence_from_one_tree_or_two_logs():
    with pytest.raises(EvidenceError, match="same tree"):
        Equivocation.of(LOG.vkey, LOG.note(0, 5), LOG.note(0, 5), (), "", "w", AT)
    assert recheck([], LOG.vkey).checks[0].status is Status.FAIL
