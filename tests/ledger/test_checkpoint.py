import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.tlog import checkpoint
from ledger.tlog.checkpoint import Checkpoint, CheckpointError

# --- known answers ----------------------------------------------------------------------------
# golang.org/x/mod/sumdb/note, note_test.go (TestSign, TestOpen, TestNewVerifier).

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
    "pRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note, "Example".
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXpp"
    "zi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# c2sp.org/tlog-checkpoint, the example body.
SOFA_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def peter_private_key() -> Ed25519PrivateKey:
    # Go's signer key: PRIVATE+KEY+name+id+base64(0x01 || 32-byte seed).
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_go_note_vector_verifies():
    assert checkpoint.verify_note_signature(GO_TEXT + "\n" + PETER_SIG, PETER_VKEY) == (
        GO_TEXT.encode()
    )


def test_go_note_vector_is_what_we_sign():
    # Ed25519 is deterministic, so our signature must be Go's byte for byte.
    key = peter_private_key()
    assert checkpoint.verifier_key("PeterNeumann", key.public_key()) == PETER_VKEY
    assert checkpoint.sign_note(GO_TEXT.encode(), "PeterNeumann", key) == (
        GO_TEXT + "\n" + PETER_SIG
    )


def test_go_twice_signed_note_verifies_with_either_key():
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert checkpoint.verify_note_signature(note, PETER_VKEY) == GO_TEXT.encode()
    assert checkpoint.verify_note_signature(note, ENOCH_VKEY) == GO_TEXT.encode()


def test_go_invalid_signature_vector_fails():
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(CheckpointError, match="invalid signature by key PeterNeumann"):
        checkpoint.verify_note_signature(GO_TEXT + "\n" + bad, PETER_VKEY)


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        "\udcff" + GO_TEXT + "\n" + PETER_SIG,  # an undecodable byte, as surrogateescape has it
        GO_TEXT + "\n" + "\u2014 Bad Name " + PETER_SIG.split(" ")[2],
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG * (checkpoint.MAX_SIGNATURES + 1),
        GO_TEXT + "\n" + "\u2014 a+b " + PETER_SIG.split(" ")[2],
        GO_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # shorter than a key ID
        GO_TEXT + "\n" + "\u2014 PeterNeumann x08gow==\n",  # Peter's key ID, no signature
        GO_TEXT + "\n" + "\u2014 PeterNeumann not*base64\n",
        GO_TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_rejected(note):
    with pytest.raises(CheckpointError, match="malformed note"):
        checkpoint.verify_note_signature(note, PETER_VKEY)


def test_the_last_blank_line_separates_text_from_signatures():
    text = b"first paragraph\n\nsecond paragraph\n"
    note = checkpoint.sign_note(text, "example.com/key", LOG_KEY)
    vkey = checkpoint.verifier_key("example.com/key", LOG_KEY.public_key())
    assert checkpoint.verify_note_signature(note, vkey) == text


def test_c2sp_signed_note_example_verifies():
    assert checkpoint.verify_note_signature(FOO_NOTE, FOO_VKEY) == b"This is an example message.\n"


def test_go_verifier_key_manglings_are_rejected():
    name, key_id, public_key = checkpoint.parse_verifier_key(PETER_VKEY)
    assert (name, key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert checkpoint.verifier_key(name, public_key) == PETER_VKEY
    # As Go's TestNewVerifier: every proper substring, and every single-byte increment.
    text = PETER_VKEY
    manglings = {text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}
    manglings |= {text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :] for i in range(len(text))}
    manglings.discard(text)
    manglings |= {
        # Wrong key length, and unknown algorithm, each with an adjusted key ID.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    }
    for mangled in manglings:
        with pytest.raises(CheckpointError):
            checkpoint.parse_verifier_key(mangled)


def test_checkpoint_key_id_is_the_signed_note_formula():
    key = peter_private_key().public_key()
    raw = base64.b64decode(PETER_VKEY.split("+")[2])[1:]
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + raw).digest()
    assert checkpoint.key_id("PeterNeumann", key) == digest[:4]


# --- checkpoint bodies ------------------------------------------------------------------------

ROOT = bytes(range(32))


def test_body_format_and_round_trip():
    cp = Checkpoint("example.com/log", 42, ROOT)
    body = b"example.com/log\n42\n" + base64.b64encode(ROOT) + b"\n"
    assert cp.body() == body
    assert Checkpoint.parse(body) == cp


def test_c2sp_checkpoint_example_body_parses():
    cp = Checkpoint.parse(SOFA_BODY)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == SOFA_BODY


def test_extension_lines_are_kept():
    body = SOFA_BODY + b"ext one\nsecond \xe2\x80\x94 ext\n"
    cp = Checkpoint.parse(body)
    assert cp.extensions == ("ext one", "second \u2014 ext")
    assert cp.body() == body


def test_size_zero_is_the_empty_tree():
    assert Checkpoint.parse(b"log\n0\n" + base64.b64encode(ROOT) + b"\n").size == 0


B64_ROOT = base64.b64encode(ROOT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"log\n1\n" + B64_ROOT, "end with a newline"),
        (b"log\n1\n", "origin, size and root"),
        (b"\n1\n" + B64_ROOT + b"\n", "origin must not be empty"),
        (b"log\n01\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n00\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n+1\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n-1\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n 1\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n1 \n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n\n" + B64_ROOT + b"\n", "leading zeros"),
        ("log\n\u0661\n".encode() + B64_ROOT + b"\n", "leading zeros"),  # Arabic-Indic one
        (b"log\n18446744073709551616\n" + B64_ROOT + b"\n", "out of range"),
        (b"log\n" + b"9" * 5000 + b"\n" + B64_ROOT + b"\n", "leading zeros"),
        (b"log\n1\n" + base64.b64encode(ROOT[:31]) + b"\n", "32 bytes"),
        (b"log\n1\n" + base64.b64encode(ROOT + b"x") + b"\n", "32 bytes"),
        (b"log\n1\n" + B64_ROOT.rstrip(b"=") + b"\n", "base64"),
        (b"log\n1\n" + B64_ROOT[:-2] + b"9=\n", "canonical"),  # nonzero padding bits
        (b"log\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32) + b"\n", "base64"),
        (b"log\n1\n" + B64_ROOT + b"\n\n", "extension line must not be empty"),
        (b"log\n1\n" + B64_ROOT + b"\next\n\n", "extension line must not be empty"),
        (b"l\x01g\n1\n" + B64_ROOT + b"\n", "control characters"),
        (b"\xfflog\n1\n" + B64_ROOT + b"\n", "UTF-8"),
    ],
)
def test_bad_bodies_are_rejected(body, message):
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "", "size": 1, "root": ROOT},
        {"origin": "a\nb", "size": 1, "root": ROOT},
        {"origin": "a\udcffb", "size": 1, "root": ROOT},
        {"origin": "log", "size": -1, "root": ROOT},
        {"origin": "log", "size": 2**64, "root": ROOT},
        {"origin": "log", "size": 1, "root": ROOT[:31]},
        {"origin": "log", "size": 1, "root": ROOT, "extensions": ("",)},
        {"origin": "log", "size": 1, "root": ROOT, "extensions": ("a\nb",)},
    ],
)
def test_invalid_checkpoints_cannot_be_built(kwargs):
    with pytest.raises(CheckpointError):
        Checkpoint(**kwargs)


origins = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n"), min_size=1
)
checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    size=st.integers(0, checkpoint.MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(origins, max_size=3).map(tuple),
)


@given(checkpoints)
def test_any_checkpoint_body_parses_back(cp):
    assert Checkpoint.parse(cp.body()) == cp


# --- signing, cosigning, opening --------------------------------------------------------------

LOG_KEY = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
LOG = "tdx.example/ledger"
WITNESS = "witness.example/fr"
LOG_VKEY = checkpoint.verifier_key(LOG, LOG_KEY.public_key())
WITNESS_VKEY = checkpoint.verifier_key(WITNESS, WITNESS_KEY.public_key())
CP = Checkpoint(LOG, 1234, hashlib.sha256(b"tree").digest())


def test_sign_then_open_round_trips():
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    assert note.startswith(CP.body().decode() + "\n\u2014 " + LOG + " ")
    assert checkpoint.open_note(note, LOG_VKEY) == CP


@given(checkpoints)
def test_any_checkpoint_survives_signing(cp):
    assert checkpoint.open_note(checkpoint.sign(cp, LOG, LOG_KEY), LOG_VKEY) == cp


def test_cosigned_note_opens_with_either_key():
    note = checkpoint.cosign(checkpoint.sign(CP, LOG, LOG_KEY), WITNESS, WITNESS_KEY)
    assert len(note.split("\n\n")[1].splitlines()) == 2
    assert checkpoint.open_note(note, LOG_VKEY) == CP
    assert checkpoint.open_note(note, WITNESS_VKEY) == CP


def test_cosigning_twice_with_one_key_keeps_one_signature():
    once = checkpoint.cosign(checkpoint.sign(CP, LOG, LOG_KEY), WITNESS, WITNESS_KEY)
    assert checkpoint.cosign(once, WITNESS, WITNESS_KEY) == once


def test_cosign_refuses_anything_but_a_checkpoint():
    with pytest.raises(CheckpointError, match="origin, size and root"):
        checkpoint.cosign(GO_TEXT + "\n" + PETER_SIG, WITNESS, WITNESS_KEY)


def test_tampered_size_fails():
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    tampered = note.replace("\n1234\n", "\n1235\n", 1)
    assert tampered != note
    with pytest.raises(CheckpointError, match="invalid signature"):
        checkpoint.open_note(tampered, LOG_VKEY)


def test_tampered_origin_and_root_fail():
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    other_root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    for tampered in (
        note.replace(LOG + "\n", "evil.example/ledger\n", 1),
        note.replace(base64.b64encode(CP.root).decode(), other_root, 1),
    ):
        with pytest.raises(CheckpointError, match="invalid signature"):
            checkpoint.open_note(tampered, LOG_VKEY)


@pytest.mark.parametrize("position", [0, 3, 4, 20, 67])
def test_tampered_signature_fails(position):
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    text, line = note.split("\n\n")
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[position] ^= 0x01
    tampered = f"{text}\n\n\u2014 {LOG} {base64.b64encode(blob).decode()}\n"
    # A flipped key ID makes it some other key's signature: then there is none by ours.
    with pytest.raises(CheckpointError, match="invalid signature" if position >= 4 else "no sig"):
        checkpoint.open_note(tampered, LOG_VKEY)


def test_wrong_key_fails():
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    with pytest.raises(CheckpointError, match="no signature by key " + WITNESS):
        checkpoint.open_note(note, WITNESS_VKEY)
    # Same name, another key: a different key ID, so still no signature by it.
    impostor = checkpoint.verifier_key(LOG, WITNESS_KEY.public_key())
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.open_note(note, impostor)


def test_signature_by_another_key_under_our_name_and_id_fails():
    # An attacker who collides our 4-byte key ID under our name still cannot sign for us.
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    text = note.split("\n\n")[0]
    our_id = checkpoint.key_id(LOG, LOG_KEY.public_key())
    forged = our_id + WITNESS_KEY.sign(text.encode() + b"\n")
    tampered = f"{text}\n\n\u2014 {LOG} {base64.b64encode(forged).decode()}\n"
    with pytest.raises(CheckpointError, match="invalid signature"):
        checkpoint.open_note(tampered, LOG_VKEY)


def test_unknown_signatures_are_ignored():
    stranger = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32)
    note = checkpoint.sign(CP, LOG, LOG_KEY)
    # Another key; our name with another key ID; garbage by a stranger. All ignored.
    note = checkpoint.cosign(note, "stranger.example", stranger)
    note = checkpoint.cosign(note, LOG, stranger)
    note += "\u2014 stranger.example " + base64.b64encode(b"\x00" * 68).decode() + "\n"
    assert checkpoint.open_note(note, LOG_VKEY) == CP


def test_a_note_with_only_unknown_signatures_fails():
    note = checkpoint.sign(CP, WITNESS, WITNESS_KEY)
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.open_note(note, LOG_VKEY)


def test_a_valid_note_that_is_not_a_checkpoint_is_rejected_by_open_note():
    note = checkpoint.sign_note(GO_TEXT.encode(), LOG, LOG_KEY)
    assert checkpoint.verify_note_signature(note, LOG_VKEY) == GO_TEXT.encode()
    with pytest.raises(CheckpointError, match="origin, size and root"):
        checkpoint.open_note(note, LOG_VKEY)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "nbsp\u00a0", "l\x01g"])
def test_bad_key_names_are_rejected(name):
    with pytest.raises(CheckpointError, match="key name"):
        checkpoint.verifier_key(name, LOG_KEY.public_key())
    with pytest.raises(CheckpointError, match="key name"):
        checkpoint.sign(CP, name, LOG_KEY)


def test_sign_note_needs_a_final_newline():
    with pytest.raises(CheckpointError, match="newline"):
        checkpoint.sign_note(b"abc", LOG, LOG_KEY)
