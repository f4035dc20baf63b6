"""The contract's state as the mirror holds it, in the two shapes that ask for it: the
chaincode's ``StateView`` (a transaction checked before it is sent) and the contract call's
``CallState`` (the arguments built for it). Nothing here asks the node, except an
organisation's number that the index has not seen registered.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaincode.records import Actor, DocumentRecord, PickupRight
from ledger.evm.index import EvmIndex
from ledger.evm.reads import ContractReads
from ledger.interface import Identities


class MirrorView:
    """``chaincode.lifecycle.StateView`` and ``ledger.evm.calls.CallState`` on the index."""

    def __init__(self, index: EvmIndex, reads: ContractReads, identities: Identities) -> None:
        self._index = index
        self._reads = reads
        self._identities = identities

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        owner = self._index.issuer_of(doc_id, issuer)
        return None if owner is None else self._index.record(doc_id, owner)

    def issuers(self, doc_id: str) -> list[str]:
        return self._index.issuers(doc_id)

    def existing(self, doc_ids: Sequence[str], issuer: str) -> list[str]:
        return self._index.existing(doc_ids, issuer)

    def pickup_right(self, container: str) -> PickupRight | None:
        return self._index.right(container)

    def released_under(self, container: str, ebl: str, carrier: str) -> bool:
        return self._index.released_under(container, ebl, carrier)

    def party(self, org_id: str) -> Actor | None:
        return self._identities.party(org_id)

    def address(self, org_id: str | None) -> str:
        return self._reads.address(org_id)

    def number(self, org_id: str) -> int:
        return self._reads.number(org_id)

    def batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]:
        return self._reads.batch_position(doc_id, root, issuer)

    def containers(self, doc_id: str, issuer: str) -> list[str]:
        return self._index.facts(doc_id, issuer)[0]


__all__ = ["MirrorView"]
