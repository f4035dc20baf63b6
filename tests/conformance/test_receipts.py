"""A receipt names the engine that committed it in the same keys on every engine, and
where its blocks hold the transaction on a chain (block, hash, log index) or a channel
(block, txid, channel); no engine's receipt claims to be another's."""

import re

from chaincode.documents.registry import DocumentKind
from tests.conftest import EXAMPLES


def test_a_receipt_names_the_engine_that_committed_it(node, engine):
    issued = node.issue(DocumentKind.CO, (EXAMPLES / "co_cn_sg.json").read_bytes(), "cn-gacc")
    body = issued.receipt.to_json()
    assert "evm" not in body
    placed = body["ledger"]
    assert placed["engine"] == engine
    if engine == "embedded":
        assert placed == {"engine": "embedded"}
        assert body["checkpoint"]
        return
    assert isinstance(placed["block"], int)
    assert placed["block"] >= 1
    if engine == "evm":
        assert re.fullmatch(r"0x[0-9a-f]{64}", placed["transaction"])
        assert isinstance(placed["logIndex"], int)
        assert "channel" not in placed
    else:
        assert re.fullmatch(r"[0-9a-f]{64}", placed["transaction"])
        assert placed["channel"] == "cn-sg"
        assert "logIndex" not in placed
