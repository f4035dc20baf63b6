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


def when(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def org_name(org_of: Mapping[str, str], address: str) -> str | None:
    """The organisation at ``address`` (``org_of`` is keyed by checksum address)."""
    if int(address, 16) == 0:
        return None
    return org_of.get(to_checksum_address(address), address)
