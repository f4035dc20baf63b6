"""DNS-TXT records read as @govtechsg/dnsprove reads them, and the injected resolvers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interop.oa import OaError, StaticDnsTxt, record_text
from interop.oa.dns_txt import matches, parse_record

ADDR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@pytest.mark.parametrize(
    "text",
    [
        record_text(ADDR, 1337),
        f'"{record_text(ADDR, 1337)}"',
        f"openatts net=ethereum netId=1337 addr={ADDR};",
        f"openatts addr={ADDR.lower()} netId=1337 net=ethereum",
    ],
)
def test_records_that_match(text: str) -> None:
    assert matches([text], ADDR, 1337)


@pytest.mark.parametrize(
    "text",
    [
        record_text(ADDR, 1),  # another chain
        record_text("0x" + "00" * 20, 1337),  # another contract
        f"openatts net=tezos netId=1337 addr={ADDR}",
        f"openatts net=ethereum addr={ADDR}",
        f"v=spf1 net=ethereum netId=1337 addr={ADDR}",
        f"openatts net=ethereum netId=1337 addr={ADDR}x",
        "openatts",
        "",
    ],
)
def test_records_that_do_not(text: str) -> None:
    assert not matches([text], ADDR, 1337)


def test_parse_record_fields() -> None:
    record = parse_record(record_text(ADDR, 11155111))
    assert record is not None
    assert (record.net, record.net_id, record.addr) == ("ethereum", "11155111", ADDR)


def test_static_resolvers(tmp_path: Path) -> None:
    pairs = StaticDnsTxt.from_pairs([f"Example.COM.={record_text(ADDR, 1337)}", "a.b=x"])
    assert pairs("example.com") == [record_text(ADDR, 1337)]
    assert pairs("unknown.example") == []
    path = tmp_path / "dns.json"
    path.write_text(json.dumps({"x.example": "one", "y.example": ["two", "three"]}))
    merged = pairs.merged(StaticDnsTxt.from_file(path))
    assert merged("x.example") == ["one"]
    assert merged("y.example") == ["two", "three"]
    with pytest.raises(OaError, match="DOMAIN=RECORD"):
        StaticDnsTxt.from_pairs(["no-equals-sign"])
    path.write_text(json.dumps({"x.example": 5}))
    with pytest.raises(OaError, match="record"):
        StaticDnsTxt.from_file(path)
