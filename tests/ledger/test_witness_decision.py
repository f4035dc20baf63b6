import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from identity.checks import Status
from ledger.tlog import checkpoint, merkle
from ledger.tlog.add_checkpoint import (
    AddCheckpoint,
    AddCheckpointError,
    parse_size_body,
    size_body,
)
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.witness import Answer, Held, WitnessCheck, decide
from tests.ledger.forks import Forks

ORIGIN = "tdx.test/log"
KEY = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
LOG = Forks(ORIGIN, KEY)
TRUSTED = {ORIGIN: [LOG.vkey]}


def held(fork: int, size: int) -> Held:
    cp = LOG.checkpoint(fork, size)
    return Held(cp.size, cp.root, LOG.note(fork, size))


def run(body: bytes, state: Held | None = None, trusted=TRUSTED):
    return decide(body, trusted, lambda origin: state if origin == ORIGIN else None)


# --- the wire format -----------------------------------------------------------------------


def test_the_request_encodes_as_the_spec_shows():
    body = AddCheckpoint(5, LOG.proof(0, 5, 9), LOG.note(0, 9)).encode().decode()
    head, note = body.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "old 5"
    assert all(len(base64.b64decode(line)) == 32 for line in lines[1:])
    assert note == LOG.note(0, 9)
    assert AddCheckpoint.parse(body.encode()) == AddCheckpoint(5, LOG.proof(0, 5, 9), note)


def test_size_bodies():
    assert size_body(42) == b"42\n"
    assert parse_size_body(b"0\n") == 0
    for bad in (b"42", b"042\n", b"-1\n", b"x\n", b"1\n2\n"):
        with pytest.raises(AddCheckpointError):
            parse_size_body(bad)


# --- every answer of tlog-witness add-checkpoint ----------------------------------------------


def test_200_first_checkpoint_from_old_size_0():
    decision = run(LOG.request(0, 0, 9))
    assert decision.answer is Answer.COSIGNED
    assert decision.cosign
    assert decision.checkpoint == LOG.checkpoint(0, 9)
    assert [c.name for c in decision.checks] == [
        *list(WitnessCheck)[:3],
        WitnessCheck.OLD_SIZE,
        WitnessCheck.CONSISTENCY,
    ]
    assert all(c.status is Status.PASS for c in decision.checks)


def test_200_with_a_consistency_proof_from_the_held_size():
    decision = run(LOG.request(0, 5, 9), held(0, 5))
    assert decision.cosign, decision.reason
    assert "proof from size 5 to 9 holds" in decision.checks[-1].reason


def test_200_the_same_checkpoint_again():
    assert run(LOG.request(0, 9, 9), held(0, 9)).cosign


def test_200_with_extra_signatures_from_unknown_keys():
    note = checkpoint.cosign(LOG.note(0, 9), "stranger.example", Ed25519PrivateKey.generate())
    assert run(AddCheckpoint(0, (), note).encode()).cosign


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b"old 0\n", "no empty line"),
        # Without it, the checkpoint's lines are read as proof lines.
        (b"old 0\n" + LOG.note(0, 3).encode(), "proof line 1 is not base64"),
        (b"old 01\n\n" + LOG.note(0, 3).encode(), "not 'old <size>'"),
        (b"old -1\n\n" + LOG.note(0, 3).encode(), "not 'old <size>'"),
        (b"new 0\n\n" + LOG.note(0, 3).encode(), "not 'old <size>'"),
        (b"old 0\nnot-base64!\n\n" + LOG.note(0, 3).encode(), "proof line 1 is not base64"),
        (b"old 0\nAAAA\n\n" + LOG.note(0, 3).encode(), "not one base64 SHA-256 hash"),
        (b"old 0\n" + (b"A" * 43 + b"=\n") * 64 + b"\n" + LOG.note(0, 3).encode(), "at most 63"),
        (b"old 0\n\n\xff\n", "not valid UTF-8"),
        (b"old 0\n\nnot a note\n", "malformed note"),
        (b"old 0\n\n" + b"x" * 70000, "over"),
    ],
)
def test_400_malformed(body, rule):
    decision = run(body)
    assert decision.answer is Answer.BAD_REQUEST
    assert decision.checks[-1].name is WitnessCheck.REQUEST
    assert rule in decision.reason


def test_400_old_size_above_the_checkpoint():
    decision = run(LOG.request(0, 0, 5).replace(b"old 0", b"old 6"), held(0, 6))
    assert decision.answer is Answer.BAD_REQUEST
    assert "larger than the checkpoint's size 5" in decision.reason


def test_403_not_signed_by_a_trusted_key():
    other = checkpoint.sign(LOG.checkpoint(0, 5), ORIGIN, Ed25519PrivateKey.generate())
    decision = run(AddCheckpoint(0, (), other).encode())
    assert decision.answer is Answer.BAD_SIGNATURE
    assert "no signature by a key trusted" in decision.reason


def test_403_a_trusted_keys_signature_that_fails():
    # The log's signature line moved onto another checkpoint: name and key ID match, bytes fail.
    signature = LOG.note(0, 5).split("\n\n", 1)[1]
    forged = LOG.checkpoint(1, 20).body().decode() + "\n" + signature
    decision = run(AddCheckpoint(0, (), forged).encode())
    assert decision.answer is Answer.BAD_SIGNATURE
    assert "fails" in decision.reason


def test_404_unknown_origin():
    decision = run(LOG.request(0, 0, 5), trusted={"tdx.test/other": [LOG.vkey]})
    assert decision.answer is Answer.UNKNOWN_LOG
    assert decision.checks[-1].name is WitnessCheck.ORIGIN


@pytest.mark.parametrize(("old", "state", "holds"), [(3, None, 0), (0, 5, 5), (4, 5, 5)])
def test_409_old_size_is_not_the_held_size(old, state, holds):
    body = LOG.request(0, old, 9)
    decision = run(body, held(0, state) if state else None)
    assert decision.answer is Answer.OLD_SIZE_MISMATCH
    assert decision.held_size == holds


def test_422_size_0_needs_the_empty_root():
    bogus = checkpoint.sign(Checkpoint(ORIGIN, 0, b"\x01" * 32), ORIGIN, KEY)
    decision = run(AddCheckpoint(0, (), bogus).encode())
    assert decision.answer is Answer.INCONSISTENT
    assert decision.checks[-1].name is WitnessCheck.EMPTY_TREE
    assert run(AddCheckpoint(0, (), LOG.note(0, 0)).encode()).cosign


def test_422_old_size_0_with_a_proof():
    body = AddCheckpoint(0, (b"\x00" * 32,), LOG.note(0, 5)).encode()
    decision = run(body)
    assert decision.answer is Answer.INCONSISTENT
    assert "must be empty" in decision.reason
    assert decision.conflict is None


def test_422_the_same_size_with_a_proof():
    body = AddCheckpoint(9, (b"\x00" * 32,), LOG.note(0, 9)).encode()
    decision = run(body, held(0, 9))
    assert decision.answer is Answer.INCONSISTENT
    assert "must be empty" in decision.reason
    assert decision.conflict is None


def test_422_same_size_another_root_is_a_conflict_of_one_size():
    decision = run(LOG.request(1, 12, 12), held(0, 12))
    assert decision.answer is Answer.INCONSISTENT
    assert decision.conflict is not None
    assert decision.conflict.same_size
    assert decision.conflict.held.note == LOG.note(0, 12)
    assert decision.conflict.note == LOG.note(1, 12)


def test_422_a_failing_proof_is_a_conflict_to_settle():
    decision = run(LOG.request(1, 12, 20), held(0, 12))
    assert decision.answer is Answer.INCONSISTENT
    assert decision.conflict is not None
    assert not decision.conflict.same_size
    assert "does not hold" in decision.reason


def test_422_a_proof_of_the_right_fork_for_another_start():
    # An honest proof, but from another size than the witness holds: rejected, not cosigned.
    body = AddCheckpoint(12, LOG.proof(0, 11, 20), LOG.note(0, 20)).encode()
    assert run(body, held(0, 12)).answer is Answer.INCONSISTENT


def test_a_rollback_is_never_cosigned():
    # Old size must be the held one (else 409), and may not exceed the new size (else 400).
    assert run(LOG.request(0, 12, 12).replace(b"old 12", b"old 20"), held(0, 20)).answer is (
        Answer.BAD_REQUEST
    )
    assert run(LOG.request(0, 12, 12), held(0, 20)).answer is Answer.OLD_SIZE_MISMATCH


# --- the property: never cosign a checkpoint inconsistent with one cosigned before -----------

requests = st.lists(
    st.tuples(
        st.integers(0, 1),  # which history the checkpoint is of
        st.integers(0, 64),  # its size
        st.sampled_from(["held", "random"]),  # what old size the request claims
        st.integers(0, 64),  # the random old size
        st.sampled_from(["own", "other", "junk"]),  # where the proof comes from
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(requests)
def test_never_cosigns_an_inconsistent_checkpoint(steps):
    state: Held | None = None
    cosigned: list[tuple[int, Checkpoint]] = []
    for fork, size, old_kind, random_old, proof_kind in steps:
        old = (state.size if state else 0) if old_kind == "held" else random_old
        if old > size:
            proof: tuple[bytes, ...] = ()
        elif proof_kind == "junk":
            proof = tuple(bytes([size, old, i]) * 11 for i in range(3))[:2]
            proof = tuple(p[:32].ljust(32, b"\0") for p in proof)
        else:
            proof = LOG.proof(fork if proof_kind == "own" else 1 - fork, old, size)
        decision = run(AddCheckpoint(old, proof, LOG.note(fork, size)).encode(), state)
        if decision.cosign:
            cp = LOG.checkpoint(fork, size)
            for _, earlier in cosigned:
                # Consistent: not smaller, and the earlier root is this history's prefix root.
                assert earlier.size <= cp.size
                assert merkle.root(LOG.trees[fork], earlier.size) == earlier.root
            cosigned.append((fork, cp))
            state = Held(cp.size, cp.root, LOG.note(fork, size))
