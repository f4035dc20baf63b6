"""The relying path (``network.verification.kept``): the exact signed bytes a node verified
when it issued them rely on that for format, signature and integrity, and say so; any other
bytes, a changed note, changed rules or a changed trust list take the full path or fail, and
what depends on time (chain, revocation, anchoring, status, inclusion) is judged either way."""

import dataclasses
import datetime
import hashlib
import json
import sqlite3

import pytest

from chaincode.documents.registry import DocumentKind
from identity.checks import CheckName, Status, Verdict
from identity.trust_store import TrustStore
from network import examples, signing
from network.node import Node
from network.verification import ORDER, Pipeline, kept, rules

RELIED = {
    CheckName.FORMAT: "byte-identical",
    CheckName.SIGNATURE: "verified by this node at issue over these same bytes",
    CheckName.INTEGRITY: "checked by this node at issue over these same bytes",
}


@pytest.fixture
def node(demo_home):
    with Node(demo_home) as built:
        yield built


def _issue(node, number="CO-RELIED-1"):
    content = json.loads(examples.read(examples.CO))
    content["certificateNumber"] = number
    issued = node.issue(DocumentKind.CO, json.dumps(content).encode(), "cn-gacc")
    return issued.document, node.store.get(issued.document.digest)


def _relied(report):
    """The checks whose reasons say they relied on the issue-time verification."""
    return {n for n, text in RELIED.items() if text in report.check(n).reason}


def _statuses(report):
    return [(c.name, c.status) for c in report.checks]


def _note(node, sql, *params):
    with sqlite3.connect(node.home.path / "ledger.db") as db:
        db.execute(sql, params)


def test_issued_bytes_rely_on_the_issue_time_checks_and_say_so(node):
    doc, signed = _issue(node)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert [c.name for c in report.checks] == list(ORDER)
    assert _relied(report) == set(RELIED)
    assert hashlib.sha256(signed).hexdigest()[:12] in report.check(CheckName.FORMAT).reason
    assert report.facts.digest == doc.digest
    assert report.facts.kind is DocumentKind.CO
    assert report.facts.issuer == "cn-gacc"
    # The full path recomputes them and reaches the same checks and facts.
    full = node.verify(signed, full=True)
    assert full.valid, full.to_json()
    assert _relied(full) == set()
    assert _statuses(full) == _statuses(report)
    assert full.facts == report.facts


def test_the_note_records_the_sha256_of_the_bytes_verified_at_issue(node):
    doc, signed = _issue(node)
    with sqlite3.connect(node.home.path / "ledger.db") as db:
        (verified,) = db.execute(
            "SELECT verified FROM signed_documents WHERE id = ?", (doc.digest,)
        ).fetchone()
    assert verified == f"sha256:{hashlib.sha256(signed).hexdigest()} {kept.verifier()}"


def test_other_verifier_code_recomputes_what_the_note_stands_for(node, monkeypatch):
    """A note made by other signature code (another pyca/cryptography, a changed jws) is
    not relied on: the verifier fingerprint is part of it."""
    _, signed = _issue(node)
    monkeypatch.setattr(kept, "verifier", lambda: "verifier:" + "0" * 32)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert _relied(report) == set()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_every_changed_byte_takes_the_full_path_and_gets_its_verdict(node):
    """No changed byte is ever relied on: each report equals the full path's, check for check
    (a flip inside the signature fails it; inside the document, integrity; elsewhere,
    the format)."""
    _, signed = _issue(node)
    assert node.verify(signed).valid
    for at in range(0, len(signed), 41):  # bounded: about 150 positions over the envelope
        changed = _flip(signed, at)
        report = node.verify(changed)
        assert _relied(report) == set(), at
        assert not report.valid, at
        assert report.to_json() == node.verify(changed, full=True).to_json(), at


def test_a_changed_signature_is_judged_by_the_full_path(node):
    _, signed = _issue(node)
    envelope = json.loads(signed)
    head, payload, signature = envelope["signature"].split(".")
    swapped = ("B" if signature[5] == "A" else "A").join((signature[:5], signature[6:]))
    envelope["signature"] = f"{head}.{payload}.{swapped}"
    report = node.verify(json.dumps(envelope, separators=(",", ":")).encode())
    assert report.failed_names() == ["signature"]
    assert _relied(report) == set()


def test_the_same_document_in_other_bytes_is_valid_on_the_full_path(node):
    _, signed = _issue(node)
    reserialised = json.dumps(json.loads(signed), separators=(",", ":")).encode()
    assert reserialised != signed
    report = node.verify(reserialised)
    assert report.valid, report.to_json()
    assert _relied(report) == set()


def test_another_signers_envelope_of_the_same_digest_is_not_relied_on(node):
    doc, _ = _issue(node)
    resigned = signing.sign(node.home, "cn-ccpit", doc, node.clock())
    report = node.verify(json.dumps(resigned.to_json()).encode())
    assert _relied(report) == set()
    assert report.failed_names() == ["anchored"]


def test_a_note_that_does_not_match_the_bytes_is_not_relied_on(node):
    doc, signed = _issue(node)
    _note(
        node,
        "UPDATE signed_documents SET verified = ? WHERE id = ?",
        "sha256:" + "0" * 64,
        doc.digest,
    )
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert _relied(report) == set()
    _note(node, "UPDATE signed_documents SET verified = NULL WHERE id = ?", doc.digest)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert _relied(report) == set()


def test_changed_rules_recompute_format_signature_and_integrity(node, monkeypatch):
    _, signed = _issue(node)
    monkeypatch.setattr(rules, "fingerprint", lambda: "sha256:" + "0" * 64)
    report = node.verify(signed)
    assert report.valid, report.to_json()
    assert _relied(report) == set()


def test_a_signer_revoked_before_the_anchoring_fails_on_the_relying_path(node):
    _, signed = _issue(node)
    anchored_at = node.verify(signed).facts.anchored_at
    node.home.revoke("cn-gacc", anchored_at - datetime.timedelta(seconds=1), node.clock())
    later = node.clock() + datetime.timedelta(seconds=1)
    with Node(node.home, clock=lambda: later) as fresh:  # reads the new revocation list
        report = fresh.verify(signed)
        full = fresh.verify(signed, full=True)
    assert _relied(report) == set(RELIED)
    assert report.failed_names() == ["revocation"]
    assert "before the anchoring" in report.check(CheckName.REVOCATION).reason
    assert full.to_json()["verdict"] == report.to_json()["verdict"] == "INVALID"
    assert full.failed_names() == ["revocation"]


def test_a_signer_revoked_after_the_anchoring_is_judged_now_and_said(node):
    _, signed = _issue(node)
    node.home.revoke("cn-gacc", node.clock() + datetime.timedelta(seconds=5), node.clock())
    with Node(node.home, clock=lambda: node.clock() + datetime.timedelta(seconds=10)) as fresh:
        report = fresh.verify(signed)
    assert report.valid, report.to_json()
    assert _relied(report) == set(RELIED)
    assert "after the anchoring" in report.check(CheckName.REVOCATION).reason


def _pipeline_with(node, trust_list):
    trust = TrustStore(trust_list, node.home.revocation_lists())
    return Pipeline(dataclasses.replace(node.pipeline.policy, trust=trust))


def test_a_trust_list_without_the_signers_country_fails_the_chain(node):
    _, signed = _issue(node)
    listed = node.home.trust_list()
    without_cn = dataclasses.replace(
        listed, entries={c: e for c, e in listed.entries.items() if c != "CN"}
    )
    report = _pipeline_with(node, without_cn).verify(signed, node.clock(), node.ledger)
    assert report.failed_names() == ["chain"]
    assert _relied(report) == set()


def test_an_algorithm_taken_off_the_trust_list_is_never_relied_on(node):
    _, signed = _issue(node)
    listed = node.home.trust_list()
    no_es256 = dataclasses.replace(
        listed,
        entries={
            c: dataclasses.replace(e, algorithms=e.algorithms - {"ES256"})
            for c, e in listed.entries.items()
        },
    )
    report = _pipeline_with(node, no_es256).verify(signed, node.clock(), node.ledger)
    assert report.check(CheckName.SIGNATURE).status is Status.FAIL
    assert "not allowed" in report.check(CheckName.SIGNATURE).reason
    assert report.verdict is Verdict.INVALID


def test_without_a_ledger_nothing_is_relied_on(node):
    _, signed = _issue(node)
    report = node.pipeline.verify(signed, node.clock())
    assert _relied(report) == set()
    assert {report.check(n).status for n in ORDER[:7]} == {Status.PASS}


def test_documents_kept_before_the_note_existed_take_the_full_path(demo_home):
    """A ledger file whose kept documents have no ``verified`` column gains it (empty) on
    opening: those documents verify on the full path, later ones rely on their note."""
    with Node(demo_home) as node:
        _, old = _issue(node, "CO-BEFORE")
    db = sqlite3.connect(demo_home.path / "ledger.db", isolation_level=None)
    db.executescript(
        "CREATE TABLE old_kept (id TEXT PRIMARY KEY, envelope BLOB NOT NULL, kind TEXT,"
        " rules TEXT, country TEXT);"
        "INSERT INTO old_kept SELECT id, envelope, kind, rules, country FROM signed_documents;"
        "DROP TABLE signed_documents; ALTER TABLE old_kept RENAME TO signed_documents;"
    )
    db.close()
    with Node(demo_home) as node:
        report = node.verify(old)
        assert report.valid, report.to_json()
        assert _relied(report) == set()
        _, new = _issue(node, "CO-AFTER")
        assert _relied(node.verify(new)) == set(RELIED)
