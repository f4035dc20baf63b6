"""The courier of revocations to the DocumentStore while a node serves: whatever the node's
own attempt right after a document ended could not deliver (the chain was away) it retries
by itself, backing off, so that no one has to run ``tdx oa sync``.

It owns nothing: what is due is computed from the ledger and the book of exports
(``oa_exports.due``), and each delivery is idempotent, so a courier stopped at any point,
or one per HTTP worker, or ``tdx oa sync`` beside it, loses and duplicates nothing. While
nothing is due it only looks whether the ledger or the book grew (a revocation committed by
another process) before computing again.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from network.platforms.oa_exports import BOOK_FILE, book_of, due, propagate_revocations
from network.platforms.oa_settings import FILE_NAME

if TYPE_CHECKING:
    from network.platforms.node_port import PlatformNode

log = logging.getLogger("tdx.oa")
IDLE = 2.0  # seconds between looks while nothing is due
FIRST_BACKOFF = 0.5  # seconds before the first retry after a failure, doubled up to
MAX_BACKOFF = 30.0


class RevocationCourier:
    """One daemon thread per node that carries due revocations; ``stop`` ends it."""

    def __init__(
        self,
        node: PlatformNode,
        idle: float = IDLE,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.node = node
        self.idle = idle
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # (ledger size, exports) when nothing was due: unchanged, nothing can have become due.
        self._settled: tuple[int, int] | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="tdx-oa-courier", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look now (a document ended in this process), unless backing off."""
        self._wake.set()

    def run_once(self) -> None:
        """One round: deliver what is due. Raises when the chain or the settings fail
        (what is due stays due)."""
        home = self.node.home.path
        if not (home / FILE_NAME).is_file() or not (home / BOOK_FILE).is_file():
            return
        with book_of(self.node) as book:
            mark = (self.node.ledger.size(), book.count())
        if mark == self._settled:
            return
        if due(self.node):
            done = propagate_revocations(self.node)
            if done:
                log.info("carried %d revocation(s) to the DocumentStore", len(done))
        self._settled = mark  # taken before the look: what came after is seen next round

    def _run(self) -> None:
        backoff = self.first_backoff
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception as exc:  # the chain is away, the settings are wrong: retry
                log.warning("revocations still due (retry in %.1f s): %s", backoff, exc)
                self._stop.wait(backoff)  # a wake does not cut a backoff short
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = self.first_backoff
            self._wake.wait(self.idle)


__all__ = ["IDLE", "MAX_BACKOFF", "RevocationCourier"]
