import pytest

from chaincode.canonical import canonical_bytes, digest_bytes
from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from ledger.signed_tx import MalformedTransactionError, parse


def test_a_locally_signed_transaction_equals_its_parsed_wire(node):
    signed = node.transaction(
        "cn-gacc", Op.ISSUE, doc="sha256:" + "ab" * 32, kind=DocumentKind.CO, country="CN"
    )
    again = parse(signed.wire)
    assert again == signed
    assert signed.canonical == canonical_bytes(signed.wire)
    assert signed.id == digest_bytes(canonical_bytes(signed.wire))


@pytest.mark.parametrize(
    ("wire", "fragment"),
    [
        ({"tx": {}, "kid": "k"}, "exactly tx, kid and sig"),
        ({"tx": {"op": "ISSUE"}, "kid": "k", "sig": "AA=="}, "tx."),
        (
            {
                "tx": {"op": "FLY", "actor": "cn-x", "time": "2026-01-01T00:00:00Z"},
                "kid": "k",
                "sig": "AA==",
            },
            "tx.op",
        ),
        (
            {
                "tx": {"op": "ISSUE", "actor": "cn-x", "time": "2026-01-01T00:00:00Z"},
                "kid": 1,
                "sig": "AA==",
            },
            "strings",
        ),
        (b'{"tx": {}, "tx": {}}', "duplicate key"),
    ],
)
def test_malformed_transactions_are_named(wire, fragment):
    with pytest.raises(MalformedTransactionError, match=fragment):
        parse(wire)
