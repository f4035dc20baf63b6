"""The channels' world state as this node's index mirrors it, read as the rules read state
(``chaincode.lifecycle.StateView``): over every channel the node reads, or over one.

Fabric commits no transaction across channels, so the chaincode on a channel sees only
that channel's records and rights. The engine checks each transaction against the mirror
of all its channels too, and refuses what the rules refuse there (another channel's record
of the same digest, another channel's live right on the same container, a ledger key that
another organisation signed with); the chaincode stays the authority on its own channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chaincode.records import Actor, DocumentRecord, PickupRight
from ledger.fabric.index import FabricIndex


class MirrorView:
    """``chaincode.lifecycle.StateView`` over the index: every channel when ``channel`` is
    None (a digest's first record is the one this node saw anchored first), else one."""

    def __init__(
        self,
        index: FabricIndex,
        parties: Callable[[str], Actor | None],
        channel: str | None = None,
    ) -> None:
        self._index = index
        self._parties = parties
        self.channel = channel

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        if issuer is None:
            first = self.issuers(doc_id)
            if not first:
                return None
            issuer = first[0]
        return self._index.record(doc_id, issuer, self.channel)

    def issuers(self, doc_id: str) -> list[str]:
        return self._index.issuers(doc_id, self.channel)

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return self._index.existing(doc_ids, issuer, self.channel)

    def pickup_right(self, container: str) -> PickupRight | None:
        found = self._index.right(container, self.channel)
        return None if found is None else found[0]

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return self._index.released_under(container, ebl, carrier, self.channel)

    def party(self, org_id: str) -> Actor | None:
        return self._parties(org_id)

    def home_country(self, record: DocumentRecord) -> str | None:
        """The country whose peer a record's changes need: the one it names, else its
        issuer's (as the chaincode sets its keys' policies)."""
        if record.country:
            return record.country
        issuer = self._parties(record.issuer)
        return issuer.country if issuer else None


__all__ = ["MirrorView"]
