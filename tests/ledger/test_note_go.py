"""Our signed notes and cosignatures, byte for byte against the Go reference implementations
(golang.org/x/mod/sumdb/note and transparency-dev/formats/note): each side verifies what the
other signs, and both derive the same key IDs. Skipped loudly without Go (tests/ledger/go_note.py).
"""

import base64
import hashlib
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tlog import checkpoint, cosignature
from ledger.tlog.checkpoint import Checkpoint, CheckpointError
from ledger.tlog.cosignature import CosignatureError
from tests.ledger.go_note import GoNote, build, skey

LOG = "tdx.example/cn/ledger"
WITNESSES = ("tdx.example/ru/witness", "tdx.example/kz/witness")


def key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"go-note %d" % n).digest())


LOG_KEY = key(0)
WITNESS_KEYS = {name: key(n) for n, name in enumerate(WITNESSES, start=1)}
CP = Checkpoint(LOG, 1234, hashlib.sha256(b"root").digest())
T = 1_764_000_000


@pytest.fixture(scope="module")
def go() -> GoNote:
    return GoNote(build())


def log_vkey() -> str:
    return checkpoint.verifier_key(LOG, LOG_KEY.public_key())


def cosigner_vkeys() -> list[str]:
    return [cosignature.verifier_key(n, k.public_key()) for n, k in WITNESS_KEYS.items()]


def witnessed(cp: Checkpoint = CP) -> str:
    """Our log's note of ``cp`` with both witnesses' cosignatures, as a node serves it."""
    note = checkpoint.sign(cp, LOG, LOG_KEY)
    lines = "".join(
        cosignature.sign(cp, n, k, T + i) for i, (n, k) in enumerate(WITNESS_KEYS.items())
    )
    return cosignature.add(note, lines)


@pytest.mark.parametrize(
    "name", ["PeterNeumann", "tdx.example/cn/ledger", "oid/1.3.6.1.4.1.99999.1", "例え.example/w"]
)
def test_key_ids_and_verifier_keys_are_derived_as_go_derives_them(go, name):
    private = key(7)
    public = private.public_key()
    vkey = checkpoint.verifier_key(name, public)
    got = go.call("keys", skey=skey(name, private), vkey=vkey)
    assert got["ok"], got
    assert got["keyHash"] == checkpoint.key_id(name, public).hex()
    assert got["cosignatureKeyHash"] == cosignature.key_id(name, public).hex()
    assert got["cosignatureVkey"] == cosignature.verifier_key(name, public)


def test_go_verifies_our_checkpoint_with_both_cosignatures_and_reads_their_times(go):
    got = go.open(witnessed(), [log_vkey()], cosigner_vkeys())
    assert got["ok"], got
    assert got["text"] == CP.body().decode()
    expected = [{"name": LOG, "keyHash": checkpoint.key_id(LOG, LOG_KEY.public_key()).hex()}]
    expected[0]["timestamp"] = None
    for i, (name, private) in enumerate(WITNESS_KEYS.items()):
        kid = cosignature.key_id(name, private.public_key()).hex()
        expected.append({"name": name, "keyHash": kid, "timestamp": T + i})
    assert got["signatures"] == expected
    assert got["unverified"] == []


def test_go_verifies_cosignatures_over_extension_lines(go):
    cp = Checkpoint(LOG, 5, hashlib.sha256(b"x").digest(), ("ext one", "ext two"))
    got = go.open(witnessed(cp), [log_vkey()], cosigner_vkeys())
    assert got["ok"], got
    assert len(got["signatures"]) == 3


def test_go_refuses_a_cosignature_we_would_refuse(go):
    note = witnessed()
    parsed = checkpoint.parse_note(note)
    bad = parsed.signatures[1]
    blob = bytearray(base64.b64decode(bad.line.split(" ")[2]))
    blob[4 + 7] ^= 1  # the timestamp's last byte: the signed message changes
    forged = checkpoint.NoteSignature(
        bad.name,
        bad.key_id,
        bytes(blob[4:]),
        f"\u2014 {bad.name} {base64.b64encode(blob).decode()}",
    )
    tampered = checkpoint.SignedNote(
        parsed.text, (parsed.signatures[0], forged, parsed.signatures[2])
    ).render()
    got = go.open(tampered, [log_vkey()], cosigner_vkeys())
    assert not got["ok"]
    assert "invalid signature" in got["error"]
    with pytest.raises(CosignatureError, match="does not verify"):
        cosignature.verify(tampered, cosigner_vkeys()[0])


def test_a_cosignature_key_is_not_a_log_key_on_either_side(go):
    # Domain separation by type byte 0x04: Go refuses it as a note verifier, and so do we.
    vkey = cosigner_vkeys()[0]
    got = go.open(witnessed(), [vkey])
    assert not got["ok"]
    with pytest.raises(CheckpointError, match="signature type 0x01"):
        checkpoint.verify_note_signature(witnessed(), vkey)


def test_we_verify_what_go_signs_and_cosigns(go):
    skeys = [skey(n, k) for n, k in WITNESS_KEYS.items()]
    before = int(time.time())
    got = go.call(
        "sign", text=CP.body().decode(), logSkeys=[skey(LOG, LOG_KEY)], cosignerSkeys=skeys
    )
    after = int(time.time())
    assert got["ok"], got
    assert checkpoint.open_note(got["note"], log_vkey()) == CP
    for vkey in cosigner_vkeys():
        found = cosignature.verify(got["note"], vkey, now=after)
        assert found.checkpoint == CP
        assert before <= found.timestamp <= after
    # The log's signature is Ed25519 of the same text: deterministic, so the same bytes as ours.
    assert (
        got["note"].split("\n\n", 1)[1].splitlines()[0]
        == checkpoint.sign(CP, LOG, LOG_KEY).splitlines()[-1]
    )


def test_go_cosigns_our_note_and_we_merge_its_lines(go):
    ours = checkpoint.sign(CP, LOG, LOG_KEY)
    name, private = next(iter(WITNESS_KEYS.items()))
    got = go.call("cosign", note=ours, logKeys=[log_vkey()], cosignerSkeys=[skey(name, private)])
    assert got["ok"], got
    go_line = got["note"].splitlines()[-1] + "\n"
    merged = cosignature.add(ours, go_line)
    assert merged == got["note"]
    assert cosignature.verify(merged, cosigner_vkeys()[0]).checkpoint == CP


NAME_CHARS = st.sampled_from("abcxyz019./-_:例えкзΩ")
LINE_CHARS = st.sampled_from("abc XYZ 019./-_:=+例えкзΩ")


@settings(max_examples=30, deadline=None)
@given(
    origin=st.text(NAME_CHARS, min_size=1, max_size=30),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(LINE_CHARS, min_size=1, max_size=40), max_size=3),
    timestamp=st.integers(1, 2**63 - 1),
)
def test_go_verifies_any_checkpoint_we_sign_and_cosign(
    go, origin, size, root, extensions, timestamp
):
    cp = Checkpoint(origin, size, root, tuple(extensions))
    note = checkpoint.sign(cp, origin, LOG_KEY)
    name, private = next(iter(WITNESS_KEYS.items()))
    note = cosignature.add(note, cosignature.sign(cp, name, private, timestamp))
    got = go.open(
        note,
        [checkpoint.verifier_key(origin, LOG_KEY.public_key())],
        [cosignature.verifier_key(name, private.public_key())],
    )
    assert got["ok"], got
    assert got["text"] == cp.body().decode()
    assert [s["timestamp"] for s in got["signatures"]] == [None, timestamp]
