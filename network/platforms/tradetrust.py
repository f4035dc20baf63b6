"""eBLs as TradeTrust transferable records, with exclusive control in one place at a time.

``export_ebl``: the possessor's control leaves the ledger first (``EXPORT_EBL``, naming the
registry and the token), then the title is minted in a new TitleEscrow whose beneficiary
and holder are the possessor's own EVM account (its ledger key's address). A crash between
the two leaves control in neither place, never in both; running the export again mints the
same token (the wrapped document is kept, so its Merkle root, the token id, is the same).

``reclaim_ebl``: only once the title was returned to the issuer on the registry. The node
reads the title on chain; if it sits with the registry it burns it (accepting the surrender
there, with the registry's accepter key), so that TradeTrust can never restore it; once the
token is burnt, ``RECLAIM_EBL`` brings control home as a surrender pending with the carrier,
by the party that returned it (by default the one that exported it), who gets it back if
the carrier rejects the surrender here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from chaincode.documents import envelope as envelope_format
from chaincode.documents.registry import DocumentKind, validate_document
from chaincode.external_control import elsewhere
from chaincode.records import Away, DocState
from chaincode.transactions import Op
from interop.oa import Title, TitleState, export_documents, token_id
from network.evm.home import address_of
from network.platforms.oa_exports import book_of
from network.platforms.oa_settings import OaSettings, funded, load

if TYPE_CHECKING:
    from network.platforms.node_port import PlatformNode


class TitleError(ValueError):
    """The eBL cannot be exported or reclaimed now; the message says why and what to do."""


@dataclass(frozen=True)
class EblTitle:
    doc: str
    registry: str  # eip155:<chain id>:<address>
    token: str  # 64 hex digits: the wrapped document's Merkle root
    document: dict[str, Any]
    title: Title

    def to_json(self) -> dict[str, Any]:
        return {"documentId": self.doc, "registry": self.registry, **self.title.to_json()}


def _where(chain_id: int, registry: str) -> str:
    return f"eip155:{chain_id}:{to_checksum_address(registry)}"


def _account_of(node: PlatformNode, org_id: str) -> str:
    return address_of(node.home.credentials(org_id).ledger_cert)


def export_ebl(
    node: PlatformNode, doc_id: str, registry: str, settings: OaSettings | None = None
) -> EblTitle:
    oa = settings or load(node.home)
    record = node.require(doc_id)
    if record.kind is not DocumentKind.EBL:
        raise TitleError(f"{doc_id} is a {record.kind.value} document, not an eBL")
    chain = oa.connect()
    where = _where(chain.chain_id, registry)
    with book_of(node) as book:
        if record.away is None:
            holder = record.holder
            stored = node.store.get(doc_id)
            if holder is None or stored is None or record.state is not DocState.ISSUED:
                reason = "this node holds no signed document" if stored is None else "not held"
                raise TitleError(f"eBL {doc_id} cannot be exported: {reason}")
            signed = envelope_format.parse(stored)
            document = validate_document(signed.kind, signed.document)
            (wrapped,) = export_documents([document], oa.issuer(where.split(":")[2]),
                                          [signed.signature])  # fmt: skip
            token = f"{token_id(wrapped['signature']['merkleRoot']):064x}"
            book.keep_title(doc_id, token, where, holder, wrapped)
            # Control leaves the ledger before the title exists: never in two places.
            node.submit(holder, Op.EXPORT_EBL, doc=doc_id, where=where, ref=token)
        elif record.away is Away.EXPORTED and (record.away_at or "").lower() == where.lower():
            token = str(record.transfer)
            kept = book.title(doc_id, token)
            if kept is None:
                raise TitleError(f"this node did not export eBL {doc_id} as token {token}")
            holder, wrapped = kept
        else:
            raise TitleError(elsewhere(record) or f"eBL {doc_id} is not held here")
    target, minter = oa.registry(chain, registry, node.home)
    title = target.title(int(token, 16))
    if title.state is TitleState.NOT_MINTED:
        account = _account_of(node, holder)
        title = target.mint(funded(chain, minter), int(token, 16), account, account)
    return EblTitle(doc_id, where, token, wrapped, title)


def reclaim_ebl(
    node: PlatformNode, doc_id: str, by: str | None = None, settings: OaSettings | None = None
) -> EblTitle:
    oa = settings or load(node.home)
    record = node.require(doc_id)
    if record.away is not Away.EXPORTED or record.away_at is None or record.transfer is None:
        raise TitleError(f"eBL {doc_id} is not exported to a token registry")
    _, chain_id, address = record.away_at.split(":")
    chain = oa.connect()
    if chain.chain_id != int(chain_id):
        raise TitleError(f"the title is on chain {chain_id}; {oa.rpc} is chain {chain.chain_id}")
    registry, accepter = oa.registry(chain, address, node.home)
    token = int(record.transfer, 16)
    title = registry.title(token)
    if title.state is TitleState.ACTIVE:
        raise TitleError(
            f"control lives on {record.away_at}: the title (token 0x{token:064x}) is in "
            f"TitleEscrow {title.escrow}, beneficiary {title.beneficiary}, holder "
            f"{title.holder}; it comes home once returned to the issuer there"
        )
    if title.state is TitleState.NOT_MINTED:
        raise TitleError(
            f"the title of eBL {doc_id} was never minted: finish the export first "
            f"(tdx oa export-ebl {doc_id} --registry {address})"
        )
    if title.state is TitleState.RETURNED_TO_ISSUER:
        # Accepted there (burnt) before it comes home: TradeTrust can never restore it.
        registry.accept_return(funded(chain, accepter), token)
        title = registry.title(token)
        if title.state is not TitleState.BURNT:
            raise TitleError(f"the title is {title.state.value} after the burn, not BURNT")
    with book_of(node) as book:
        kept = book.title(doc_id, record.transfer)
    party = by or (kept[0] if kept else None)
    if party is None:
        raise TitleError("name the party that returned the title (--from ORG)")
    carrier = record.carrier or record.issuer
    node.submit(
        carrier, Op.RECLAIM_EBL, doc=doc_id, where=record.away_at, ref=record.transfer, to=party
    )
    return EblTitle(doc_id, record.away_at, record.transfer, kept[1] if kept else {}, title)


__all__ = ["EblTitle", "TitleError", "export_ebl", "reclaim_ebl"]
