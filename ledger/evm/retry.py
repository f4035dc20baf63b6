"""Retrying a JSON-RPC call on failures of the transport, never on the node's answers.

A connection refused or a timeout says nothing about what the node did, so only reads and
the resending of the same raw transaction (idempotent through its nonce) are retried; an
answer of the node (an error included) is returned or raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests
from web3.exceptions import ProviderConnectionError

T = TypeVar("T")

# Failures of the transport, not answers of the node: safe to retry for reads and for
# resending the same raw transaction.
RETRYABLE: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    ConnectionError,
    TimeoutError,
)
RETRY_ATTEMPTS = 8  # 0.05 s doubling to 2 s: about 8 s in all before giving up


def retry(
    call: Callable[[], T], attempts: int = RETRY_ATTEMPTS, deadline: float | None = None
) -> T:
    """``call()``, retried with doubling backoff on transport failures only, and never
    past ``deadline`` (a ``time.monotonic()`` value)."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return call()
        except RETRYABLE:
            late = deadline is not None and time.monotonic() + delay > deadline
            if attempt == attempts - 1 or late:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


__all__ = ["RETRYABLE", "RETRY_ATTEMPTS", "retry"]
