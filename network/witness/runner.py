"""Witnessing in the background of a running node.

``Witnessing.notify()`` is what a node calls after a commit: it only sets an event, so a
commit never waits. A thread then submits the latest checkpoint to the witnesses (bounded
retries), and every ``gossip_interval`` reads the other views of its peers' logs and settles
disputes. One process per home does it (a file lock), however many workers serve the node.
A witness that failed is left alone for a while, doubling up to ``MAX_BACKOFF`` seconds
while it keeps failing (whatever the size: the log grows meanwhile), so a node that is down
is not asked every second.
"""

from __future__ import annotations

import datetime
import fcntl
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from network.home import Home
from network.witness.client import WitnessClient
from network.witness.gossip import Settled, gossip, settle_disputes
from network.witness.publisher import ProvingLog, Submission, submit_checkpoint
from network.witness.service import Observation, Witness
from network.witness.store import PeerRow, WitnessStore

log = logging.getLogger("tdx.witness")
LOCK_FILE = "witness.run.lock"
MAX_BACKOFF = 30.0


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Round:
    submissions: tuple[Submission, ...]
    observations: tuple[Observation, ...]
    settled: tuple[Settled, ...]


class Witnessing:
    def __init__(
        self,
        home: Home,
        log: ProvingLog | None,
        clock: Callable[[], datetime.datetime] = _utcnow,
        interval: float = 1.0,
        gossip_interval: float = 30.0,
        attempts: int = 3,
        backoff: float = 0.2,
        client: WitnessClient | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``log`` is the node's provable ledger (None on an engine without checkpoints:
        then it only witnesses others)."""
        self.home = home
        self.log = log
        self.clock = clock
        self.interval = interval
        self.gossip_interval = gossip_interval
        self.attempts = attempts
        self.backoff = backoff
        self.store = WitnessStore.of_home(home.path)
        self.witness = Witness(home, self.store, clock)
        self.client = client or WitnessClient()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: IO[bytes] | None = None
        self._last_gossip = 0.0
        self._monotonic = monotonic
        # witness key -> (consecutive failures, no retry before)
        self._failed: dict[str, tuple[int, float]] = {}

    def notify(self) -> None:
        """A new commit: submit soon. Never blocks."""
        self._wake.set()

    def run_once(self, gossiping: bool = True, backing_off: bool = False) -> Round:
        """One round, in the caller's thread: submit, then (if asked) gossip and settle.
        With ``backing_off`` (the background loop), witnesses that failed recently are
        skipped; a caller asking for a round now (``tdx network witness-sync``) is
        not made to wait."""
        submissions: list[Submission] = []
        if self.log is not None:
            submissions = submit_checkpoint(
                self.store,
                self.log,
                self.client,
                self.clock,
                self.attempts,
                self.backoff,
                self._stop.wait,
                self._waiting if backing_off else lambda peer, size: False,
            )
            self._note(submissions)
        observations: list[Observation] = []
        settled: list[Settled] = []
        if gossiping:
            observations = gossip(self.witness, self.client)
            settled = settle_disputes(self.witness, self.client)
        return Round(tuple(submissions), tuple(observations), tuple(settled))

    def _waiting(self, peer: PeerRow, size: int) -> bool:
        failed = self._failed.get(peer.witness_key)
        return failed is not None and self._monotonic() < failed[1]

    def _note(self, submissions: list[Submission]) -> None:
        for sub in submissions:
            if sub.cosigned:
                self._failed.pop(sub.key, None)
            elif sub.outcome in {"refused", "unreachable"}:
                count = self._failed.get(sub.key, (0, 0.0))[0] + 1
                pause = min(MAX_BACKOFF, self.interval * 2**count)
                self._failed[sub.key] = (count, self._monotonic() + pause)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="tdx-witnessing", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.client.close()
        self.store.close()

    def _leader(self) -> bool:
        """Whether this process does the witnessing for the home (the first to lock it)."""
        if self._lock_file is None:
            handle = open(self.home.path / LOCK_FILE, "a+b")  # noqa: SIM115 (held while running)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._lock_file = handle
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set() or not self._leader():
                continue
            due = time.monotonic() - self._last_gossip >= self.gossip_interval
            try:
                self.run_once(gossiping=due, backing_off=True)
            except Exception:  # a bad round must not end witnessing
                log.exception("witnessing round failed")
            if due:
                self._last_gossip = time.monotonic()


__all__ = ["Round", "Witnessing"]
