"""The mirror: the index of the contract's logs, kept up to the chain's head.

It pages through the contract's logs from the deployment block in bounded ranges, a page
per round trip, and each page commits with its cursor (``EvmIndex.commit_page``), so that
it resumes where it stopped. A caller may ask for other calls in the same round trip
(``sync_step``): the submit path fetches a receipt together with the logs that follow it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from web3.types import RPCEndpoint

from ledger.evm.chain import Chain, CountingProvider
from ledger.evm.events import Event, Events, as_int, derive
from ledger.evm.index import EvmIndex
from ledger.evm.retry import retry
from ledger.evm.text import org_name

LOG_PAGE = 2_000  # blocks per eth_getLogs call


class Mirror:
    """Keeps ``index`` up to date with the contract at ``address`` on ``chain``;
    ``org_of`` names the organisations by their checksum addresses."""

    def __init__(
        self,
        chain: Chain,
        address: str,
        index: EvmIndex,
        events: Events,
        deploy_block: int,
        org_of: Mapping[str, str],
        page: int = LOG_PAGE,
    ) -> None:
        self._chain = chain
        self._address = address
        self._index = index
        self._events = events
        self._deploy_block = deploy_block
        self._org_of = org_of
        self.page = page
        self._lock = threading.Lock()

    def cursor(self) -> int:
        """The first block not indexed yet."""
        return int(self._index.meta("cursor") or self._deploy_block)

    def sync(self, until: int | None = None) -> None:
        """Index the contract's logs up to the chain's head (or at least ``until``), a page
        of blocks per round trip; each page commits with its cursor."""
        while True:
            if until is not None and self.cursor() > until:
                return
            if self.sync_step([], None):
                return

    def sync_step(self, ask: list[tuple[RPCEndpoint, Any]], deadline: float | None) -> Any:
        """One round trip: ``ask``'s calls, the head's number and the next page of logs,
        indexed. Answers the first call's result when asked for one, else whether the
        index has caught up with the head."""
        with self._lock:
            cursor = self.cursor()
            end = cursor + self.page - 1
            query = {"address": self._address, "fromBlock": hex(cursor), "toBlock": hex(end)}
            calls = [
                *ask,
                (RPCEndpoint("eth_blockNumber"), []),
                (RPCEndpoint("eth_getLogs"), [query]),
            ]
            answers = retry(lambda: self.batch(calls), deadline=deadline)
            head = as_int(answers[len(ask)]["result"])
            logs = answers[len(ask) + 1]
            if "error" in logs:  # a page starting beyond the head: nothing new
                if head >= cursor:
                    raise RuntimeError(f"eth_getLogs failed: {logs['error']}")
                found: list[Any] = []
            else:
                found = logs["result"]
            if head >= cursor:
                self._index.commit_page(
                    self._events.by_transaction(found), min(end, head) + 1, self
                )
            if ask:
                first = answers[0]
                if "error" in first:
                    raise RuntimeError(f"{ask[0][0]} failed: {first['error']}")
                return first.get("result")
            return end >= head

    def batch(self, calls: list[tuple[RPCEndpoint, Any]]) -> list[dict[str, Any]]:
        """One JSON-RPC batch; the answers in the order of ``calls``."""
        provider = self._chain.w3.provider
        assert isinstance(provider, CountingProvider)
        answers = provider.make_batch_request(calls)
        if not isinstance(answers, list):
            raise RuntimeError(f"the node refused a batch request: {answers}")
        by_id = sorted(answers, key=lambda a: int(a.get("id") or 0))
        return [dict(a) for a in by_id]

    # --- what indexing another node's transaction asks (``ledger.evm.index.Describe``) ---

    def block_time(self, block: int) -> int:
        """A block's time (for logs that do not carry it)."""
        return int(retry(lambda: self._chain.w3.eth.get_block(block))["timestamp"])

    def derive(
        self, events: list[Event], numbered: Callable[[int], str]
    ) -> tuple[str, str, str | None, dict[str, Any]]:
        """Another node's transaction: what its events say."""
        return derive(events, lambda address: org_name(self._org_of, address), numbered)


__all__ = ["LOG_PAGE", "Mirror"]
