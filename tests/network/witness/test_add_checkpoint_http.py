"""The add-checkpoint endpoint answers exactly as C2SP tlog-witness prescribes, over real
HTTP: the status of each outcome, a 409's text/x.tlog.size body, a 200's cosignature lines,
and a problem+json naming the failed check for the others."""

import hashlib

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import checkpoint, cosignature, merkle
from ledger.tlog.add_checkpoint import AddCheckpoint
from ledger.tlog.checkpoint import Checkpoint
from network.witness import witness_key_of
from tests.ledger.forks import Forks
from tests.network.witness.conftest import running


@pytest.fixture
def pair(homes):
    with running(homes, ("CN", "RU")) as nodes:
        cn = nodes["CN"].home
        yield nodes["RU"], Forks(cn.setting("origin"), cn.checkpoint_key(), size=8, common=8)


def post(url: str, body: bytes, content_type: str = "text/plain") -> httpx.Response:
    return httpx.post(
        url + "/witness/add-checkpoint",
        content=body,
        headers={"Content-Type": content_type},
        timeout=10,
    )


def test_200_is_the_witness_cosignature_lines_and_they_verify(pair):
    ru, log = pair
    answer = post(ru.url, log.request(0, 0, 5))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.startswith("\u2014 ")
    assert answer.text.endswith("\n")
    note = cosignature.add(log.note(0, 5), answer.text)
    assert cosignature.verify(note, witness_key_of(ru.home)).checkpoint.size == 5


def test_409_is_the_held_size_as_text_x_tlog_size(pair):
    ru, log = pair
    assert post(ru.url, log.request(0, 0, 5)).status_code == 200
    answer = post(ru.url, log.request(0, 3, 7))
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "5\n"


def problem(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer.json()["type"].rsplit("/", 1)[1]


def test_400_malformed_body(pair):
    ru, _ = pair
    answer = post(ru.url, b"old 01\n\nnot a note")
    assert answer.status_code == 400
    assert problem(answer) == "witness-request"


def test_400_old_size_above_the_checkpoint(pair):
    ru, log = pair
    answer = post(ru.url, AddCheckpoint(6, (), log.note(0, 5)).encode())
    assert answer.status_code == 400
    assert problem(answer) == "witness-old-size"


def test_403_no_signature_by_the_logs_key(pair):
    ru, log = pair
    impostor = Ed25519PrivateKey.generate()
    note = checkpoint.sign(log.checkpoint(0, 5), log.origin, impostor)
    answer = post(ru.url, AddCheckpoint(0, (), note).encode())
    assert answer.status_code == 403
    assert problem(answer) == "witness-signature"


def test_404_a_log_the_witness_does_not_serve(pair):
    ru, _ = pair
    stranger = Forks("example.com/not-a-peer", Ed25519PrivateKey.generate(), size=4, common=4)
    answer = post(ru.url, stranger.request(0, 0, 3))
    assert answer.status_code == 404
    assert problem(answer) == "witness-origin"


def test_422_size_zero_with_another_root_than_the_empty_tree(pair):
    ru, log = pair
    bad = Checkpoint(log.origin, 0, hashlib.sha256(b"not empty").digest())
    assert bad.root != merkle.EMPTY_ROOT
    note = checkpoint.sign(bad, log.origin, log.key)
    answer = post(ru.url, AddCheckpoint(0, (), note).encode())
    assert answer.status_code == 422
    assert problem(answer) == "witness-empty-tree"


def test_the_text_body_is_accepted_only_on_add_checkpoint(pair):
    ru, _ = pair
    other = httpx.post(
        ru.url + "/v1/verify", content=b"x", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert other.status_code == 415
