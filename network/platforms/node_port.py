"""What the platform bridges need of a node: its home, ledger, store and clock, a record
lookup and a submit. ``network.node.Node`` has all of these; the bridges name this
protocol rather than ``Node`` so that the node can load them without an import loop."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Protocol

from chaincode.records import DocumentRecord
from chaincode.transactions import Op
from ledger.interface import Ledger, Receipt
from network.home import Home
from network.store import DocumentStore


class PlatformNode(Protocol):
    home: Home
    ledger: Ledger
    store: DocumentStore
    clock: Callable[[], datetime.datetime]

    def require(self, doc_id: str) -> DocumentRecord: ...

    def submit(self, org_id: str, op: Op, **fields: Any) -> Receipt: ...


__all__ = ["PlatformNode"]
