"""The TradeLedger contract's events: decoding its logs, and what a transaction was (op,
actor, document, details) when all this node has of it is its events. That is the history
entry of another node's transaction; our own are described by the signed transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chaincode.transactions import Op, utc
from ledger.evm.codes import OP_OF_CONTROL, STATE
from ledger.evm.text import (
    KIND_OF,
    container_text,
    doc_text,
    platforms_text,
    registry_text,
    when,
)


@dataclass(frozen=True)
class Event:
    name: str
    args: dict[str, Any]
    log_index: int


class Events:
    """Decodes the contract's logs: topic 0 names the event, except the anonymous Issued."""

    def __init__(self, abi: Sequence[dict[str, Any]]) -> None:
        self._by_topic: dict[bytes, dict[str, Any]] = {}
        self._issued: dict[str, Any] | None = None
        for entry in abi:
            if entry["type"] != "event":
                continue
            if entry.get("anonymous"):
                self._issued = entry
                continue
            types = ",".join(i["type"] for i in entry["inputs"])
            self._by_topic[keccak(text=f"{entry['name']}({types})")] = entry

    def decode(self, log: Mapping[str, Any]) -> Event | None:
        topics = [as_bytes(t) for t in log["topics"]]
        entry = self._issued if not topics else self._by_topic.get(topics[0])
        if entry is None:
            return None
        indexed = topics[1:] if topics else []
        plain = [i for i in entry["inputs"] if not i["indexed"]]
        values = abi_decode([i["type"] for i in plain], as_bytes(log["data"]))
        args: dict[str, Any] = dict(zip([i["name"] for i in plain], values, strict=True))
        for spec, topic in zip([i for i in entry["inputs"] if i["indexed"]], indexed, strict=True):
            args[spec["name"]] = topic_value(spec["type"], topic)
        return Event(entry["name"], args, as_int(log["logIndex"]))

    def by_transaction(self, logs: Iterable[Mapping[str, Any]]) -> dict[str, Mined]:
        """The decoded events of each transaction (by hash, with its block and the block's
        time when the node gives it), in chain order. Takes logs as web3 formats them or as
        the node sends them (hex strings, from a batch request)."""
        by_tx: dict[str, Mined] = {}
        for log in sorted(logs, key=lambda g: (as_int(g["blockNumber"]), as_int(g["logIndex"]))):
            event = self.decode(log)
            if event is None:
                continue
            tx_hash = "0x" + as_bytes(log["transactionHash"]).hex()
            stamp = log.get("blockTimestamp")
            mined = by_tx.setdefault(
                tx_hash,
                Mined(as_int(log["blockNumber"]), None if stamp is None else as_int(stamp), []),
            )
            mined.events.append(event)
        return by_tx


@dataclass
class Mined:
    """A transaction's block, the block's time (None if the node did not say) and events."""

    block: int
    stamp: int | None
    events: list[Event]


def as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


def topic_value(kind: str, topic: bytes) -> Any:
    if kind == "address":
        return to_checksum_address(topic[-20:])
    if kind.startswith("bytes") and kind != "bytes":
        return topic[: int(kind[5:])]
    return int.from_bytes(topic, "big")


def derive(
    events: list[Event], org: Callable[[str], str | None], numbered: Callable[[int], str]
) -> tuple[str, str, str | None, dict[str, Any]]:
    """op, actor, doc and details of a transaction from its events alone; ``org`` names an
    address, ``numbered`` an organisation by its number in the contract."""
    names = {e.name: e.args for e in events}

    def who(address: str) -> str:
        return org(address) or address

    if "Superseded" in names:
        a = names["Superseded"]
        op = Op.REPLACE if STATE[int(a["state"])] == "REPLACED" else Op.AMEND
        return (
            op.value,
            who(a["actor"]),
            doc_text(a["doc"]),
            {
                "newDoc": doc_text(a["by"]),
                "reason": a["reason"],
            },
        )
    if "Issued" in names:
        a = names["Issued"]
        record = int(a["record"])
        address = to_checksum_address((record & ((1 << 160) - 1)).to_bytes(20, "big"))
        kind = KIND_OF[(record >> 160) & 0xFF].value
        return Op.ISSUE.value, who(address), doc_text(a["doc"]), {"kind": kind}
    if "EblIssued" in names:
        a = names["EblIssued"]
        return (
            Op.ISSUE.value,
            who(a["carrier"]),
            doc_text(a["doc"]),
            {
                "kind": "ebl",
                "to": who(a["holder"]),
            },
        )
    if "BatchAnchored" in names:
        a = names["BatchAnchored"]
        return (
            Op.ANCHOR_BATCH.value,
            who(a["issuer"]),
            doc_text(a["root"]),
            {
                "kind": KIND_OF[int(a["kind"])].value,
                "batchSize": int(a["size"]),
            },
        )
    if "Revoked" in names:
        a = names["Revoked"]
        return Op.REVOKE.value, who(a["actor"]), doc_text(a["doc"]), {"reason": a["reason"]}
    if "Transferred" in names:
        a = names["Transferred"]
        op = Op.ENDORSE if a["endorsed"] else Op.TRANSFER
        return op.value, who(a["from"]), doc_text(a["doc"]), {"to": who(a["to"])}
    if "SurrenderRequested" in names:
        a = names["SurrenderRequested"]
        purpose = "amendment" if "AMENDMENT" in str(STATE[int(a["state"])]) else "delivery"
        return Op.SURRENDER.value, who(a["by"]), doc_text(a["doc"]), {"purpose": purpose}
    if "SurrenderAnswered" in names:
        a = names["SurrenderAnswered"]
        op = Op.REJECT if STATE[int(a["state"])] == "ISSUED" else Op.ACCEPT
        details = {"reason": a["reason"]} if a["reason"] else {}
        return op.value, who(a["carrier"]), doc_text(a["doc"]), details
    if "ControlMoved" in names:
        return _control_moved(names["ControlMoved"], who, numbered)
    if "Released" in names:
        released = [e.args for e in events if e.name == "Released"]
        a = released[0]
        details = {
            "to": who(a["holder"]),
            "containers": [container_text(r["container"]) for r in released],
            "expires": utc(when(int(a["expires"]))),
        }
        if int(a["terminal"], 16):
            details["terminal"] = who(a["terminal"])
        return Op.RELEASE.value, numbered(int(a["carrier"])), doc_text(a["doc"]), details
    if "Delegated" in names:
        a = names["Delegated"]
        return (
            Op.DELEGATE.value,
            who(a["from"]),
            doc_text(a["ebl"]),
            {
                "to": who(a["to"]),
                "container": container_text(a["container"]),
            },
        )
    a = names["PickedUp"]
    return (
        Op.PICKUP.value,
        who(a["terminal"]),
        doc_text(a["ebl"]),
        {
            "container": container_text(a["container"]),
            "to": who(a["holder"]),
        },
    )


def _control_moved(
    a: dict[str, Any], who: Callable[[str], str], numbered: Callable[[int], str]
) -> tuple[str, str, str | None, dict[str, Any]]:
    """moveControl's event: the op, its actor (by number, in the record word) and where."""
    word, move = int(a["record"]), int(a["move"])
    op = OP_OF_CONTROL[(move >> 192) & 0xFF]
    raw = bytes(a["where"])
    details: dict[str, Any] = {"ref": bytes(a["ref"]).hex()}
    if op in (Op.EXPORT_EBL, Op.RECLAIM_EBL):
        details["where"] = registry_text(raw)
    else:
        platform, carrier_platform = platforms_text(raw)
        details["where"] = platform
        if carrier_platform:
            details["carrierPlatform"] = carrier_platform
    if op is Op.RECLAIM_EBL:
        details["to"] = who("0x" + (move & ((1 << 160) - 1)).to_bytes(20, "big").hex())
    actor = numbered((word >> 208) & 0xFFFFFFFF)
    return op.value, actor, doc_text(a["doc"]), details
