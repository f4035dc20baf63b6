"""Putting wrapped documents on chain: a batch's Merkle root issued on its DocumentStore, an
eBL minted as a title on its token registry, and a surrendered title taken back.

Each function first checks that the documents name the contract it is given (the issuer
block is what verifiers read), so a batch cannot be issued on a store its documents do not
point to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from interop.oa.document import issuers_of, parse_wrapped
from interop.oa.document_store import DocumentStore
from interop.oa.errors import OaError
from interop.oa.token_registry import Title, TitleState, TokenRegistry, token_id


def _contract_of(document: Mapping[str, Any], kind: str) -> str:
    issuers = issuers_of(parse_wrapped(document).data)
    addresses = {i.address.lower() for i in issuers if i.store_kind == kind and i.address}
    if len(addresses) != 1 or len(issuers) != 1:
        raise OaError("data.issuers", f"must name exactly one {kind}")
    return addresses.pop()


def merkle_root(batch: Sequence[Mapping[str, Any]]) -> bytes:
    roots = {parse_wrapped(d).merkle_root for d in batch}
    if len(roots) != 1:
        raise OaError("signature.merkleRoot", "the documents are not one batch (several roots)")
    return roots.pop()


def issue_batch(
    store: DocumentStore, issuer: LocalAccount, batch: Sequence[Mapping[str, Any]]
) -> TxReceipt:
    """Issue the batch's Merkle root on ``store``, which every document must name."""
    if not batch:
        raise OaError("documents", "nothing to issue")
    for i, document in enumerate(batch):
        if _contract_of(document, "documentStore") != store.address.lower():
            raise OaError(f"documents.{i}", f"names another documentStore than {store.address}")
    return store.issue(issuer, merkle_root(batch))


def mint_title(
    registry: TokenRegistry,
    minter: LocalAccount,
    document: Mapping[str, Any],
    beneficiary: str,
    holder: str,
) -> Title:
    """Mint an eBL's title (token id: its Merkle root) in a new TitleEscrow."""
    if _contract_of(document, "tokenRegistry") != registry.address.lower():
        raise OaError("data.issuers.0.tokenRegistry", f"is not {registry.address}")
    token = token_id(merkle_root([document]))
    if registry.title(token).state is not TitleState.NOT_MINTED:
        raise OaError("signature.merkleRoot", "this title is already minted")
    return registry.mint(minter, token, beneficiary, holder)


def reclaim(registry: TokenRegistry, issuer: LocalAccount, document: Mapping[str, Any]) -> Title:
    """Accept the surrender of an eBL returned to its issuer (the token is burnt), so that
    the title lives on in tdx alone; refused unless it was returned to the issuer."""
    token = token_id(merkle_root([document]))
    state = registry.title(token).state
    if state is not TitleState.RETURNED_TO_ISSUER:
        raise OaError(
            "title", f"is {state.value}: only a title returned to its issuer is reclaimed"
        )
    registry.accept_return(issuer, token)
    return registry.title(token)


__all__ = ["issue_batch", "merkle_root", "mint_title", "reclaim"]
