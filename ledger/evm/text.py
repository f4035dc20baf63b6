"""The contract's values read back as the chaincode's texts: the inverse of ``evm_chain``'s
``*_bytes`` encoders, shared by the EVM engine, its event index and its refusal decoding.

An address becomes an organisation id through the node's directory (its ledger certificates);
an address it does not know is shown as itself, the zero address as no one.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from eth_utils.address import to_checksum_address

from chaincode.documents.registry import DocumentKind
from ledger.evm.codes import KIND

KIND_OF = {v: DocumentKind(k) for k, v in KIND.items()}


def container_text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii")


def doc_text(raw: bytes) -> str:
    return "sha256:" + raw.hex()


def country_text(raw: bytes) -> str | None:
    return None if raw == b"\0\0" else raw.decode("ascii")


def registry_text(raw: bytes) -> str:
    """A logged token registry (chain id << 160 | address) as ``eip155:<chain>:<address>``."""
    value = int.from_bytes(raw, "big")
    address = to_checksum_address((value & ((1 << 160) - 1)).to_bytes(20, "big"))
    return f"eip155:{value >> 160}:{address}"


def platforms_text(raw: bytes) -> tuple[str | None, str | None]:
    """Logged PINT platform codes: the platform, and a received eBL's carrier platform."""

    def code(part: bytes) -> str | None:
        return part.rstrip(b"\0").decode("ascii") or None

    return code(raw[:4]), code(raw[4:8])


def when(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def org_name(org_of: Mapping[str, str], address: str) -> str | None:
    """The organisation at ``address`` (``org_of`` is keyed by checksum address)."""
    if int(address, 16) == 0:
        return None
    return org_of.get(to_checksum_address(address), address)
