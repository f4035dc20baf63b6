"""A receipt names the engine that committed it, in the same keys on every engine: the
embedded log's proof is its checkpoint; a chain's or a channel's, its block."""

from api.cli.ledger import show_receipt
from ledger.interface import Receipt

DOCS = [{"id": "sha256:" + "ab" * 32, "issuer": "cn-gacc", "kind": "co", "state": "issued"}]


def test_an_embedded_receipt_names_its_engine_and_nothing_of_a_chain():
    body = Receipt("tx", 3, "e" * 64, "origin\n4\nroot\n", ["aa"], DOCS).to_json()
    assert body["ledger"] == {"engine": "embedded"}
    assert body["checkpoint"] == "origin\n4\nroot\n"


def test_an_evm_receipt_names_its_block_transaction_and_log_index():
    receipt = Receipt(
        "tx", 0, "0xbeef", "", [], DOCS, engine="evm", block=7, tx_hash="0xbeef", log_index=2
    )
    body = receipt.to_json()
    assert body["ledger"] == {"engine": "evm", "block": 7, "transaction": "0xbeef", "logIndex": 2}
    assert "evm" not in body


def test_a_fabric_receipt_names_its_channel_not_an_evm():
    fabric_tx = "c0" * 32
    receipt = Receipt(
        "tx", 5, fabric_tx, "", [], DOCS, engine="fabric", block=9, tx_hash=fabric_tx,
        channel="cn-sg",
    )  # fmt: skip
    body = receipt.to_json()
    assert body["ledger"] == {
        "engine": "fabric",
        "block": 9,
        "transaction": fabric_tx,
        "channel": "cn-sg",
    }
    assert "evm" not in body


def test_the_command_line_shows_a_block_where_there_is_no_checkpoint(capsys):
    receipt = Receipt(
        "tx", 5, "c0", "", [], DOCS, engine="fabric", block=9, tx_hash="c0", channel="cn-sg"
    )
    show_receipt(receipt, as_json=False)
    assert "in block 9 of the fabric ledger on channel cn-sg" in capsys.readouterr().out
    show_receipt(Receipt("tx", 3, "e", "origin\n4\nroot\n", ["aa", "bb"], DOCS), as_json=False)
    assert "signed checkpoint of size 4 (2-step proof)" in capsys.readouterr().out
