"""The durable outbox and the inbox, in process: a push is on disk when it returns and is
idempotent by key; a failed delivery is retried with a bounded, growing backoff; an item
leased by a sender that crashed is delivered again after its lease, and the inbox keeps one
copy however often it arrives. Times are passed in, so nothing sleeps for ordering."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from network.peers.inbox import Inbox
from network.peers.outbox import (
    LEASE,
    MAX_PAYLOAD,
    MAX_RETRY,
    Outbox,
    OutboxError,
    OutboxSender,
    backoff,
)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _outbox(tmp_path, local=frozenset({"CN"})) -> Outbox:
    return Outbox(tmp_path / "outbox.db", local, _now)


def test_a_push_is_idempotent_by_destination_kind_and_key(tmp_path):
    box = _outbox(tmp_path)
    first = box.push("KZ", "document", b"phyto", key="sha256:" + "aa" * 32)
    again = box.push("KZ", "document", b"phyto, sent twice", key="sha256:" + "aa" * 32)
    assert (first.status, again.status) == ("queued", "duplicate")
    assert box.depth() == 1
    assert box.items()[0].payload == b"phyto"  # the first copy is the one kept
    # Another kind or destination is another item; the default key is the payload's digest.
    assert box.push("SG", "document", b"phyto", key="sha256:" + "aa" * 32).status == "queued"
    pushed = box.push("KZ", "rail-advance", b"consignment")
    assert pushed.key.startswith("sha256:")
    assert box.push("KZ", "rail-advance", b"consignment").status == "duplicate"
    assert box.depth() == 3
    # This node's own country: nothing to send.
    assert box.push("CN", "document", b"x").status == "local"
    assert box.depth() == 3


def test_a_push_is_on_disk_when_it_returns(tmp_path):
    box = _outbox(tmp_path)
    box.push("KZ", "document", b"phyto", key="k1")
    # Another process's view of the same file (the node restarted after a crash).
    other = _outbox(tmp_path)
    assert [(i.destination, i.key, i.payload) for i in other.items()] == [("KZ", "k1", b"phyto")]
    assert other.push("KZ", "document", b"phyto", key="k1").status == "duplicate"


@pytest.mark.parametrize(
    ("destination", "kind", "payload", "key", "field"),
    [
        ("kz", "document", b"x", None, "destination_country"),
        ("KAZ", "document", b"x", None, "destination_country"),
        ("KZ", "", b"x", None, "kind"),
        ("KZ", "doc/ument", b"x", None, "kind"),
        ("KZ", "document", "text", None, "payload"),
        ("KZ", "document", b"x" * (MAX_PAYLOAD + 1), None, "payload"),
        ("KZ", "document", b"x", "k" * 201, "key"),
    ],
    ids=["lower", "alpha3", "no-kind", "slash", "str", "too-large", "long-key"],
)
def test_a_bad_push_names_the_field_and_queues_nothing(
    tmp_path, destination, kind, payload, key, field
):
    box = _outbox(tmp_path)
    with pytest.raises(OutboxError, match=f"^{field}"):
        box.push(destination, kind, payload, key)
    assert box.depth() == 0


@given(st.integers(min_value=1, max_value=100_000))
def test_backoff_grows_and_is_bounded(attempts):
    nominal = min(MAX_RETRY, 0.2 * 2.0 ** min(attempts - 1, 32))
    delay = backoff(attempts)
    assert 0.8 * nominal <= delay <= 1.2 * nominal
    assert delay <= 1.2 * MAX_RETRY


def test_a_failed_delivery_waits_its_backoff_then_is_due_again(tmp_path):
    box = _outbox(tmp_path)
    box.push("KZ", "document", b"phyto", key="k1")
    t = 1_000_000.0
    (item,), _ = box.claim(t)
    box.failed(item.id, "ConnectError: refused", t)
    assert box.claim(t)[0] == []  # not due yet
    items, due = box.claim(t + 0.1)
    assert items == []
    assert t + 0.8 * 0.2 <= due <= t + 1.2 * 0.2
    (again,), _ = box.claim(t + 0.25)
    assert again.attempts == 1
    assert again.last_error == "ConnectError: refused"
    box.failed(again.id, "503", t + 0.25)
    assert box.claim(t + 0.25 + 0.8 * 0.4 - 0.01)[0] == []  # the second wait is longer
    (third,), _ = box.claim(t + 0.25 + 1.2 * 0.4)
    box.delivered(third.id, '{"received": true}')
    assert box.depth() == 0
    assert box.claim(t + 10_000)[0] == []  # acknowledged: never sent again
    assert box.items()[0].delivered_at is not None


def test_an_item_leased_by_a_sender_that_crashed_is_delivered_after_its_lease(tmp_path):
    box = _outbox(tmp_path)
    box.push("KZ", "document", b"phyto", key="k1")
    t = 1_000_000.0
    (item,), _ = box.claim(t)  # a sender took it, then its process died
    box.close()
    restarted = _outbox(tmp_path)
    assert restarted.claim(t + 1)[0] == []  # leased: no second sender sends it meanwhile
    (again,), _ = restarted.claim(t + LEASE)
    assert again.id == item.id


def test_the_sender_retries_until_acknowledged_and_delivers_once(tmp_path):
    box = _outbox(tmp_path)
    calls: list[str] = []
    acked = threading.Event()

    def deliver(item):
        calls.append(item.key)
        if len(calls) < 3:
            raise ConnectionError("the KZ node is down")
        acked.set()
        return '{"received": true}'

    sender = OutboxSender(box, deliver, idle=0.05)
    sender.start()
    try:
        box.push("KZ", "document", b"phyto", key="k1")
        assert acked.wait(30), calls
        deadline = time.monotonic() + 30
        while box.depth() and time.monotonic() < deadline:
            box.wake.wait(0.05)
    finally:
        sender.stop()
    assert calls == ["k1", "k1", "k1"]
    (item,) = box.items()
    assert item.attempts == 2
    assert item.delivered_at is not None
    assert item.last_error is None


def test_a_failure_inside_the_sender_loop_does_not_stop_it(tmp_path, monkeypatch):
    box = _outbox(tmp_path)
    real_claim = box.claim
    failures = iter([RuntimeError("database is locked")])

    def flaky_claim(now, limit=16):
        error = next(failures, None)
        if error is not None:
            raise error
        return real_claim(now, limit)

    monkeypatch.setattr(box, "claim", flaky_claim)
    done = threading.Event()
    sender = OutboxSender(box, lambda item: done.set() or "{}", idle=0.05)
    box.push("KZ", "document", b"phyto", key="k1")
    sender.start()
    try:
        assert done.wait(30)
    finally:
        sender.stop()


def test_the_inbox_keeps_one_copy_and_verifies_it_once(tmp_path):
    inbox = Inbox(tmp_path / "inbox.db", _now)
    verified: list[bytes] = []
    inbox.on("document", lambda payload: (verified.append(payload) or "VALID", {"checks": []}))
    first, created = inbox.store("CN", "sha256:node", "document", "k1", b"phyto")
    assert created
    assert inbox.pending() == [first]  # kept before it is verified: a crash here loses nothing
    inbox.verify(first)
    # The sender did not hear the acknowledgement and sends it again, after a restart.
    inbox.close()
    inbox = Inbox(tmp_path / "inbox.db", _now)
    inbox.on("document", lambda payload: (verified.append(payload) or "VALID", {"checks": []}))
    second, created = inbox.store("CN", "sha256:node", "document", "k1", b"phyto")
    assert not created
    assert inbox.verify(second).verdict == "VALID"
    (kept,) = inbox.arrivals()
    assert kept.deliveries == 2
    assert verified == [b"phyto"]  # verified once
    # An item of a kind nobody verifies is kept and marked received.
    other, _ = inbox.store("CN", "sha256:node", "rail-advance", "k2", b"{}")
    assert inbox.verify(other).verdict == "RECEIVED"
