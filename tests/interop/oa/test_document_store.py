"""TradeTrust's official DocumentStore (4.1.1) driven from Python, on anvil."""

from __future__ import annotations

import hashlib

import pytest
from eth_account.signers.local import LocalAccount

from interop.oa import DocumentStore
from ledger.evm.chain import Chain, TxError


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def test_issue_bulk_issue_revoke(chain: Chain, accounts: list[LocalAccount]) -> None:
    owner, stranger = accounts[0], accounts[1]
    store = DocumentStore.deploy(chain, owner, "store under test")
    assert store.name() == "store under test"
    assert DocumentStore.at(chain, store.address.lower()).address == store.address

    receipt = store.issue(owner, h("one"))
    assert 40_000 < receipt["gasUsed"] < 60_000
    store.bulk_issue(owner, [h("two"), "0x" + h("three").hex(), h("four").hex()])
    assert all(store.is_issued(h(x)) for x in ("one", "two", "three", "four"))
    assert not store.is_issued(h("five"))

    store.revoke(owner, h("two"))
    assert store.is_revoked(h("two"))
    assert not store.is_revoked(h("one"))
    with pytest.raises(TxError, match="revoked previously"):
        store.revoke(owner, h("two"))
    with pytest.raises(TxError, match="AccessControl"):  # Error(string), decoded
        store.issue(stranger, h("six"))
    assert not store.is_issued(h("six"))
