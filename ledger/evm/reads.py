"""The contract's state read from the chain: records, pickup rights, organisation numbers,
and the block a verifier's evidence names.

``document`` and ``pickup_right`` ask the contract itself (optionally in the state of one
block); the facts the contract keeps only as events (containers, links, succession, a
batch's members, delegations) come from the mirror's index. Organisation ids and EVM
addresses are told apart here, through the node's directory of ledger certificates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from web3.contract import Contract

from chaincode.documents.registry import DocumentKind
from chaincode.identifiers import is_doc_id
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import DocState, DocumentRecord, PickupRight
from ledger.evidence import BlockRead, Evidence
from ledger.evm.calls import ZERO32
from ledger.evm.chain import Chain, container_bytes, doc_id_bytes
from ledger.evm.codes import AWAY_OF, STATE
from ledger.evm.control import with_control
from ledger.evm.index import EvmIndex
from ledger.evm.mirror import Mirror
from ledger.evm.retry import retry
from ledger.evm.text import KIND_OF, country_text, doc_text, org_name, when
from ledger.tlog import merkle

ZERO_ADDRESS = "0x" + "00" * 20


class ContractReads:
    """Reads of the contract at ``contract`` on ``chain`` (chain id ``chain_id``)."""

    def __init__(
        self,
        chain: Chain,
        chain_id: int,
        contract: Contract,
        index: EvmIndex,
        mirror: Mirror,
        address_of: Mapping[str, str],
        org_of: Mapping[str, str],
    ) -> None:
        """``address_of`` maps organisation ids to their checksum EVM addresses, ``org_of``
        the other way."""
        self._chain = chain
        self._chain_id = chain_id
        self._contract = contract
        self._index = index
        self._mirror = mirror
        self._address_of = address_of
        self._org_of = org_of
        self._numbers: dict[str, int] = {}

    # --- who is who -------------------------------------------------------------------

    def address(self, org_id: str | None) -> str:
        if org_id is None:
            return ZERO_ADDRESS
        address = self._address_of.get(org_id)
        if address is None:
            raise Refusal(RefusalKind.INVALID, f"unknown organisation {org_id}")
        return address

    def org(self, address: str) -> str | None:
        return org_name(self._org_of, address)

    def number(self, org_id: str) -> int:
        """The organisation's number in the contract (0: not registered); a registered
        organisation keeps its number for ever (a key rotation moves it to a new account).
        The index knows it from the registration's event; failing that, the contract."""
        if org_id in self._numbers:
            return self._numbers[org_id]
        address = org_id if org_id.startswith("0x") else self._address_of.get(org_id)
        if address is None:
            return 0
        number = self._index.number_of(address)
        if number is None:
            number = int(retry(lambda: self._contract.functions.organisation(address).call())[0])
        if number:
            self._numbers[org_id] = number
        return number

    def batch_position(self, doc_id: str, root: str, issuer: str) -> tuple[int, list[bytes]]:
        """A member's index and inclusion proof in ``issuer``'s batch ``root``."""
        digests = self._index.batch_digests(root, issuer)
        store = merkle.MemoryNodeStore()
        for d in digests:
            store.append(merkle.leaf_hash(d.encode()))
        index = digests.index(doc_id)
        return index, merkle.inclusion_proof(store, index, len(digests))

    # --- records ----------------------------------------------------------------------

    def document(
        self,
        doc_id: str,
        issuer: str | None = None,
        sync: bool = True,
        block: int | Literal["latest"] = "latest",
    ) -> DocumentRecord | None:
        """``issuer``'s record of the digest (by default the digest's first record, as the
        index saw the anchors in chain order): the contract's record (in the state of
        ``block``), with the index's facts (containers, links, succession, its batch)."""
        if not is_doc_id(doc_id):
            return None
        if sync:
            self._mirror.sync()
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return None
        number = self.number(owner)
        if number == 0:
            return None
        raw = doc_id_bytes(doc_id)
        values = retry(
            lambda: self._contract.functions.document(raw, number).call(block_identifier=block)
        )
        state, kind, issuer_at, country, stamp, controller, surrendered_by, endorsee, to_order = (
            values[:9]
        )
        # Whether control is elsewhere, as the contract says; where, as its events said.
        control = {k: v for k, v in self._index.control_of(doc_id, owner).items() if k != "away"}
        away = AWAY_OF[int(values[9]) & 3]
        if away is not None:
            control["away"] = away.value
        root = None
        if int(state) == 0:
            root = self._index.batch_of(doc_id, owner)
            if root is None:
                return None
            index, proof = self.batch_position(doc_id, root, owner)
            state = retry(
                lambda: self._contract.functions.batchDocumentState(
                    raw, doc_id_bytes(root), number, index, proof
                ).call(block_identifier=block)
            )
            if int(state) == 0:
                return None
            issuer_at, kind, country, stamp, _ = retry(
                lambda: self._contract.functions.batch(doc_id_bytes(root), number).call(
                    block_identifier=block
                )
            )
        containers, links = self._index.facts(doc_id, owner)
        record = DocumentRecord(
            id=doc_id,
            kind=KIND_OF[int(kind)],
            issuer=self.org(issuer_at) or str(issuer_at),
            country=country_text(bytes(country)),
            state=DocState(STATE[int(state)] or "ISSUED"),
            issued_at=when(int(stamp)),
            containers=tuple(containers),
            links=tuple(links),
            supersedes=self._index.supersedes(doc_id, owner),
            superseded_by=self._index.superseded_by(doc_id, owner),
            batch=root,
        )
        if record.kind is DocumentKind.EBL:
            record = record.evolve(
                carrier=record.issuer,
                holder=self.org(controller),
                endorsee=self.org(endorsee),
                to_order=bool(to_order),
                surrendered_by=self.org(surrendered_by),
            )
            record = with_control(record, control)
        return record

    def pickup_right(self, container: str) -> PickupRight | None:
        """The container's pickup right as the contract holds it (delegations: the index's)."""
        values = retry(
            lambda: self._contract.functions.pickupRight(container_bytes(container)).call()
        )
        ebl, holder, released_by, expires, picked_at, picked_by, terminal, country = values
        if bytes(ebl) == ZERO32:
            return None
        mirrored = self._index.right(container)
        return PickupRight(
            container,
            doc_text(bytes(ebl)),
            self.org(holder) or "",
            when(int(expires)),
            self.org(released_by) or "",
            mirrored.delegations if mirrored is not None else (),
            when(int(picked_at)) if int(picked_at) else None,
            self.org(picked_by),
            country=country_text(bytes(country)),
            terminal=self.org(terminal),
        )

    # --- what a verifier is shown -----------------------------------------------------

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """``issuer``'s record of ``digest`` read in the state of one block, and that block
        (see ``Ledger.evidence``); if ``issuer`` anchored no record of it, the digest's first
        record (another issuer's), so that the verifier can name who did."""
        if not is_doc_id(digest):
            return None
        self._mirror.sync()
        block = retry(lambda: self._chain.w3.eth.get_block("latest"))
        number = int(block["number"])
        record = self.document(digest, issuer, sync=False, block=number) or self.document(
            digest, None, sync=False, block=number
        )
        if record is None:
            return None
        read = BlockRead(
            self._chain_id,
            str(self._contract.address),
            number,
            "0x" + bytes(block["hash"]).hex(),
        )
        return Evidence.of(record, read)

    def head(self) -> dict[str, Any]:
        """The chain's latest block: what the evm engine offers in place of a checkpoint."""
        block = retry(lambda: self._chain.w3.eth.get_block("latest"))
        return {
            "chainId": self._chain_id,
            "contract": self._contract.address,
            "block": int(block["number"]),
            "hash": "0x" + bytes(block["hash"]).hex(),
        }


__all__ = ["ZERO_ADDRESS", "ContractReads"]
