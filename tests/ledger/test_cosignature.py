import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import checkpoint, cosignature
from ledger.tlog.checkpoint import Checkpoint, CheckpointError
from ledger.tlog.cosignature import CosignatureError, CosignerKey

# c2sp.org/tlog-cosignature, "Ed25519 signed message": the checkpoint and time of its example.
SOFA = Checkpoint(
    "example.com/behind-the-sofa",
    20852163,
    base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
)
SPEC_MESSAGE = (
    b"cosignature/v1\n"
    b"time 1679315147\n"
    b"example.com/behind-the-sofa\n"
    b"20852163\n"
    b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
LOG = "example.com/behind-the-sofa"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS = "witness.example.com/w1"
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
T = 1679315147


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def signed_sofa() -> str:
    return checkpoint.sign(SOFA, LOG, LOG_KEY)


def test_signed_message_is_the_spec_example():
    assert cosignature.signed_message(SOFA.body(), T) == SPEC_MESSAGE


def test_key_id_hashes_type_0x04():
    expected = hashlib.sha256(WITNESS.encode() + b"\n\x04" + raw(WITNESS_KEY)).digest()[:4]
    assert cosignature.key_id(WITNESS, WITNESS_KEY.public_key()) == expected
    # Not the signed-note Ed25519 (0x01) key ID of the same key and name.
    assert expected != checkpoint.key_id(WITNESS, WITNESS_KEY.public_key())


def test_verifier_key_format_and_parse():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    name, id_hex, blob = vkey.split("+", 2)
    assert name == WITNESS
    assert bytes.fromhex(id_hex) == cosignature.key_id(WITNESS, WITNESS_KEY.public_key())
    assert base64.b64decode(blob) == b"\x04" + raw(WITNESS_KEY)
    parsed = CosignerKey.parse(vkey)
    assert parsed.name == WITNESS
    assert parsed.text() == vkey


def test_a_log_key_is_not_a_cosigner_key_and_back():
    log_vkey = checkpoint.verifier_key(LOG, LOG_KEY.public_key())
    with pytest.raises(CosignatureError, match="signature type 0x04"):
        CosignerKey.parse(log_vkey)
    witness_vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    with pytest.raises(CheckpointError, match="signature type 0x01"):
        checkpoint.parse_verifier_key(witness_vkey)


def test_signature_line_layout():
    line = cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T)
    assert line.startswith(f"\u2014 {WITNESS} ")
    assert line.endswith("\n")
    blob = base64.b64decode(line.split(" ")[2])
    assert len(blob) == 4 + 8 + 64
    assert blob[:4] == cosignature.key_id(WITNESS, WITNESS_KEY.public_key())
    assert struct.unpack(">Q", blob[4:12])[0] == T
    # The signature is Ed25519 over the cosignature/v1 message, nothing else.
    WITNESS_KEY.public_key().verify(blob[12:], SPEC_MESSAGE)


def test_round_trip_on_a_cosigned_note():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    note = cosignature.add(signed_sofa(), cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T))
    found = cosignature.verify(note, vkey)
    assert (found.name, found.timestamp, found.checkpoint) == (WITNESS, T, SOFA)
    # The log's signature still verifies: the cosignature is one more line of the note.
    assert checkpoint.open_note(note, checkpoint.verifier_key(LOG, LOG_KEY.public_key())) == SOFA
    assert note.count("\u2014 ") == 2


def test_a_cosignature_does_not_pass_as_the_witness_keys_note_signature():
    note = cosignature.add(signed_sofa(), cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T))
    plain = checkpoint.verifier_key(WITNESS, WITNESS_KEY.public_key())
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.verify_note_signature(note, plain)


def test_add_replaces_an_earlier_cosignature_by_the_same_key():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    once = cosignature.add(signed_sofa(), cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T))
    twice = cosignature.add(once, cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T + 60))
    assert twice.count(f"\u2014 {WITNESS} ") == 1
    assert cosignature.verify(twice, vkey).timestamp == T + 60


def test_sixteen_witnesses_are_accepted():
    note = signed_sofa()
    keys = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(1, 17)]
    lines = "".join(cosignature.sign(SOFA, f"w{i}.example", k, T) for i, k in enumerate(keys))
    note = cosignature.add(note, lines)
    for i, k in enumerate(keys):
        assert cosignature.verify(note, cosignature.verifier_key(f"w{i}.example", k.public_key()))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blob: blob[:4] + struct.pack(">Q", T + 1) + blob[12:],  # another time
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # another signature
        lambda blob: blob[:-1],  # too short
        lambda blob: blob + b"\0",  # too long
    ],
)
def test_a_tampered_cosignature_fails(tamper):
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    line = cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T)
    blob = tamper(base64.b64decode(line.split(" ")[2]))
    bad = f"\u2014 {WITNESS} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(CosignatureError, match=WITNESS):
        cosignature.verify(cosignature.add(signed_sofa(), bad), vkey)


def test_a_cosignature_of_another_checkpoint_fails():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    other = Checkpoint(LOG, SOFA.size + 1, SOFA.root)
    line = cosignature.sign(other, WITNESS, WITNESS_KEY, T)
    with pytest.raises(CosignatureError, match="does not verify"):
        cosignature.verify(cosignature.add(signed_sofa(), line), vkey)


def test_unknown_cosigners_are_ignored_but_a_note_needs_ours():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    stranger = Ed25519PrivateKey.generate()
    # Same name, another key: another key ID, so ignored (signed-note), and none of ours.
    note = cosignature.add(signed_sofa(), cosignature.sign(SOFA, WITNESS, stranger, T))
    with pytest.raises(CosignatureError, match="no cosignature by"):
        cosignature.verify(note, vkey)
    note = cosignature.add(note, cosignature.sign(SOFA, "other.example", WITNESS_KEY, T))
    with pytest.raises(CosignatureError, match="no cosignature by"):
        cosignature.verify(note, vkey)


def test_a_future_timestamp_is_refused_when_asked():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    note = cosignature.add(signed_sofa(), cosignature.sign(SOFA, WITNESS, WITNESS_KEY, T + 10))
    assert cosignature.verify(note, vkey, now=T + 10).timestamp == T + 10
    with pytest.raises(CosignatureError, match="in the future"):
        cosignature.verify(note, vkey, now=T)


@pytest.mark.parametrize("timestamp", [0, -1, 2**63])
def test_timestamps_out_of_range_are_not_signed(timestamp):
    with pytest.raises(CosignatureError, match=r"1\.\.2"):
        cosignature.sign(SOFA, WITNESS, WITNESS_KEY, timestamp)


def test_a_timestamp_above_2_63_is_refused_on_verify():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    body = SOFA.body()
    big = 2**63
    message = b"cosignature/v1\ntime %d\n" % big + body
    blob = (
        cosignature.key_id(WITNESS, WITNESS_KEY.public_key())
        + struct.pack(">Q", big)
        + WITNESS_KEY.sign(message)
    )
    line = f"\u2014 {WITNESS} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(CosignatureError, match="exceeds"):
        cosignature.verify(cosignature.add(signed_sofa(), line), vkey)


def test_only_checkpoints_are_cosigned():
    vkey = cosignature.verifier_key(WITNESS, WITNESS_KEY.public_key())
    note = checkpoint.sign_note(b"not a checkpoint\n", LOG, LOG_KEY)
    with pytest.raises(CheckpointError):
        cosignature.verify(note, vkey)
    with pytest.raises(CheckpointError, match="name"):
        cosignature.sign(SOFA, "has space", WITNESS_KEY, T)
