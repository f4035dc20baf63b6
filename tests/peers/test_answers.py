"""The signed answer to a verification query (联网核查), in process: two country homes of one
demo network folder, the CN node answering from its own ledger and the RU side checking the
answer part by part. Each part that is wrong fails the check that names it, and nothing that
fails is believed (no status, no evidence)."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import secrets

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric import ed25519

from chaincode.documents.registry import DocumentKind
from identity import jws
from identity.certificates import fingerprint
from identity.node_certificates import judge_node
from ledger.tlog import checkpoint, merkle
from network.home import Home, init_country
from network.node import Node
from network.peers import answers
from network.peers.http_signatures import SignedBy
from tests.conftest import EXAMPLES


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _co() -> bytes:
    document = json.loads((EXAMPLES / "co_cn_sg.json").read_text())
    document["certificateNumber"] = document["certificateNumber"][:-6] + (
        f"{secrets.randbelow(10**6):06d}"
    )
    return json.dumps(document).encode()


class Corridor:
    def __init__(self, path):
        now = _now()
        self.cn_home = init_country(path / "CN", "CN", path / "net", "http://127.0.0.1:9", now)
        self.ru_home = init_country(path / "RU", "RU", path / "net", "http://127.0.0.1:10", now)
        self.cn = Node(Home(self.cn_home.path))
        self.descriptor = self.ru_home.network().descriptor("CN")
        ru_cert = self.ru_home.node_certificate()
        self.ru = SignedBy(ru_cert, "RU", fingerprint(ru_cert), "", now)
        trust, crls = self.ru_home.trust_list(), self.ru_home.revocation_lists()

        def judge(cert):
            j = judge_node(cert, trust, crls, _now())
            return (j.country if j.ok else None, j.reason)

        self.judge = judge
        self.cn_chain = [self.cn_home.node_certificate(), self.cn_home.root("CN")]

    def issue(self) -> str:
        return self.cn.issue(DocumentKind.CO, _co(), "cn-gacc").document.digest

    def ask(self, digest, known_size=None, nonce=None):
        """The CN node's signed answer and the question it answers."""
        nonce = nonce or secrets.token_urlsafe(12)
        signed_by = SignedBy(self.ru.certificate, "RU", self.ru.key_id, nonce, _now())
        token = self.cn.answer_query(signed_by, digest, None, known_size)
        return token, answers.Question(digest, None, known_size, nonce)

    def check(self, token, question, held=None):
        return answers.check_answer(token, question, self.descriptor, self.judge, held)

    def resigned(self, token, change, key=None, chain=None):
        """The answer's payload changed by ``change`` and signed again (by the CN node's
        key unless another is given): a forger with the node's key still fails."""
        payload = json.loads(jws.verify(token, {"EdDSA"}, answers.JWS_TYPE).payload)
        change(payload)
        return answers.sign_answer(payload, key or self.cn_home.node_key(), chain or self.cn_chain)


@pytest.fixture(scope="module")
def corridor(tmp_path_factory):
    c = Corridor(tmp_path_factory.mktemp("answers"))
    yield c
    c.cn.close()


def test_an_honest_answer_carries_status_issuer_time_checkpoint_and_proof(corridor):
    digest = corridor.issue()
    token, question = corridor.ask(digest)
    checked = corridor.check(token, question)
    assert checked.ok, checked.checks
    assert [c.name for c in checked.checks] == [
        "signature",
        "certificate",
        "question",
        "checkpoint",
        "inclusion",
        "consistency",
    ]
    assert checked.status == "issued"
    record = checked.payload["record"]
    assert record["issuer"] == "cn-gacc"
    assert record["kind"] == "co"
    assert datetime.datetime.fromisoformat(record["ledgerTime"]) <= _now()
    assert checked.evidence is not None
    assert checked.evidence.issuer == "cn-gacc"
    assert checked.evidence.digest == digest
    # The JWS is the CN node's: its certificate in x5c, EdDSA, the answer type.
    verified = jws.verify(token, {"EdDSA"}, answers.JWS_TYPE)
    assert fingerprint(verified.chain[0]) == corridor.descriptor.fingerprint
    # The payload is signed in its RFC 8785 form (the reference library's bytes).
    assert verified.payload == rfc8785.dumps(json.loads(verified.payload))
    # The inclusion proof holds against the checkpoint on its own.
    cp = checkpoint.open_note(checked.payload["checkpoint"], corridor.descriptor.checkpoint_key)
    inclusion = checked.payload["inclusion"]
    leaf = base64.b64decode(inclusion["leaf"])
    path = [bytes.fromhex(h) for h in inclusion["path"]]
    index = inclusion["index"]
    assert merkle.verify_inclusion(merkle.leaf_hash(leaf), index, cp.size, path, cp.root)


def test_a_digest_the_node_does_not_hold_is_answered_unknown_signed(corridor):
    token, question = corridor.ask("sha256:" + "0f" * 32)
    checked = corridor.check(token, question)
    assert checked.ok, checked.checks
    assert checked.status == "unknown"
    assert checked.evidence is None
    assert checked.payload["record"] is None


def test_a_later_checkpoint_is_believed_only_with_its_consistency_proof(corridor):
    first = corridor.issue()
    token, question = corridor.ask(first)
    held_cp = corridor.check(token, question).checkpoint
    held = answers.Held(held_cp.size, held_cp.root)
    second = corridor.issue()  # the CN log grows

    token, question = corridor.ask(second, known_size=held.size)
    checked = corridor.check(token, question, held)
    assert checked.ok, checked.checks
    assert checked.checkpoint.size > held.size
    assert checked.checks[-1].reason == (
        f"extends the checkpoint held (size {held.size} to {checked.checkpoint.size})"
    )

    # The same answer without its consistency proof is not believed.
    bare = corridor.resigned(token, lambda p: p.update(consistency=None))
    failed = corridor.check(bare, question, held)
    assert failed.failure.name == "consistency"
    assert f"no consistency proof from the held size {held.size}" in failed.failure.reason


def _flip_signature(token: str) -> str:
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[0] ^= 1
    return f"{head}.{body}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"


def _another_origin(p):
    p["origin"] = "tdx-node.xx"


def _claim_valid(p):
    p["status"] = "valid"


def _another_root(p):
    # The checkpoint's root line changed: its note signature no longer holds.
    lines = p["checkpoint"].split("\n")
    lines[2] = base64.b64encode(b"\x00" * 32).decode()
    p["checkpoint"] = "\n".join(lines)


def _another_path(p):
    path = p["inclusion"]["path"] or ["00" * 32]
    path[0] = ("ff" if path[0][:2] != "ff" else "00") + path[0][2:]
    p["inclusion"]["path"] = path


def _another_issuer(p):
    p["record"]["issuer"] = "cn-ccpit"  # the log entry was made by cn-gacc


def _no_proof(p):
    p["inclusion"] = None


def _unknown_with_record(p):
    p["status"] = "unknown"


@pytest.mark.parametrize(
    ("change", "failed", "text"),
    [
        (_another_origin, "question", "not the CN node's log"),
        (_claim_valid, "question", "unknown status 'valid'"),
        (_unknown_with_record, "question", "an unknown document with a record"),
        (_another_root, "checkpoint", "invalid signature by key tdx-node.cn/"),
        (_another_path, "inclusion", "is not proven in the checkpoint"),
        (_another_issuer, "inclusion", "not by the record's issuer cn-ccpit"),
        (_no_proof, "inclusion", "a record without an inclusion proof"),
    ],
    ids=["origin", "status", "unknown-with-record", "checkpoint", "path", "issuer", "no-proof"],
)
def test_an_answer_changed_and_signed_again_fails_the_check_that_names_it(
    corridor, change, failed, text
):
    token, question = corridor.ask(corridor.issue())
    checked = corridor.check(corridor.resigned(token, change), question)
    assert not checked.ok
    assert checked.failure.name == failed
    assert text in checked.failure.reason
    assert checked.status is None
    assert checked.evidence is None
    assert checked.checkpoint is None


def test_a_changed_signature_or_another_node_s_key_is_refused(corridor):
    token, question = corridor.ask(corridor.issue())
    assert corridor.check(_flip_signature(token), question).failure.name == "signature"

    ru_chain = [corridor.ru_home.node_certificate(), corridor.ru_home.root("RU")]
    by_ru = corridor.resigned(token, lambda p: None, corridor.ru_home.node_key(), ru_chain)
    failure = corridor.check(by_ru, question).failure
    assert failure.name == "certificate"
    assert "not the CN node" in failure.reason

    # A key no root certified, with the CN node's own certificate in x5c: the signature
    # does not verify with the certificate it names.
    stranger = ed25519.Ed25519PrivateKey.generate()
    forged = corridor.resigned(token, lambda p: None, stranger, corridor.cn_chain)
    assert corridor.check(forged, question).failure.name == "signature"


def test_an_answer_to_another_question_is_refused(corridor):
    digest = corridor.issue()
    token, question = corridor.ask(digest)
    for other in (
        answers.Question(digest, None, None, "another-nonce"),  # a replayed answer
        answers.Question("sha256:" + "1e" * 32, None, None, question.nonce),
        answers.Question(digest, "cn-ccpit", None, question.nonce),
        answers.Question(digest, None, 1, question.nonce),
    ):
        failure = corridor.check(token, other).failure
        assert failure.name == "question"
        assert "another question" in failure.reason


def test_a_checkpoint_behind_or_beside_the_one_held_is_refused(corridor):
    token, question = corridor.ask(corridor.issue())
    cp = corridor.check(token, question).checkpoint
    ahead = answers.Held(cp.size + 5, cp.root)
    failure = corridor.check(token, question, ahead).failure
    assert failure.name == "consistency"
    assert "the log went back" in failure.reason

    beside = answers.Held(cp.size, bytes(32))  # the same size, another root
    failure = corridor.check(token, question, beside).failure
    assert failure.name == "consistency"
    assert "two histories" in failure.reason


def test_a_checkpoint_opened_once_is_not_believed_under_another_key(corridor):
    """The asker keeps the checkpoints it opened (by note and key): the same note checked
    against another checkpoint key (a node that changed its key) is refused all the same."""
    digest = corridor.issue()
    token, question = corridor.ask(digest)
    assert corridor.check(token, question).ok  # opened, and kept
    other = checkpoint.verifier_key(
        "tdx-node.cn", ed25519.Ed25519PrivateKey.generate().public_key()
    )
    descriptor = dataclasses.replace(corridor.descriptor, checkpoint_key=other)
    checked = answers.check_answer(token, question, descriptor, corridor.judge, None)
    assert checked.failure is not None
    assert checked.failure.name == "checkpoint"
    assert checked.status is None
