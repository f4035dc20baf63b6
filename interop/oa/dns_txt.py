"""The DNS-TXT identity proof: ``openatts net=ethereum netId=<chain id> addr=<contract>``.

An issuer proves that a DocumentStore or token registry is theirs by publishing this TXT
record at the domain named in the document (``identityProof.location``). Records are parsed
as ``@govtechsg/dnsprove`` 2.8 parses them. The resolver is injected: tdx nodes run without
public DNS, so records come from a file, from the command line, or from whatever a node
trusts (a ``Callable[[domain], records]``). Unlike dnsprove, any chain id is accepted (a
consortium chain has its own); it must equal the chain the contract was read on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from interop.oa.errors import OaError

DnsTxtResolver = Callable[[str], Sequence[str]]
"""The TXT records of a domain; raises DnsTxtError when it cannot tell."""

_ADDRESS = re.compile(r"0x[a-fA-F0-9]{40}")


class DnsTxtError(RuntimeError):
    """The resolver could not answer (as opposed to answering with no records)."""


@dataclass(frozen=True)
class OpenAttestationRecord:
    net: str
    net_id: str
    addr: str


def record_text(address: str, chain_id: int) -> str:
    """The TXT record an issuer publishes for ``address`` on chain ``chain_id``."""
    return f"openatts net=ethereum netId={chain_id} addr={address}"


def parse_record(text: str) -> OpenAttestationRecord | None:
    """One TXT record as dnsprove reads it, or None if it is not a well-formed
    OpenAttestation record."""
    if text.startswith('"'):  # some resolvers quote TXT data
        text = text[1:-1]
    if not text.startswith("openatts"):
        return None
    tokens = text.strip().split(" ")
    fields: dict[str, str] = {"type": tokens[0]}
    for pair in tokens[1:]:
        key, _, value = pair.partition("=")
        value = value[:-1].strip() if value.endswith(";") else value.strip()
        fields[key.strip()] = value
    net, net_id, addr = fields.get("net"), fields.get("netId"), fields.get("addr")
    if fields["type"] != "openatts" or net != "ethereum" or not net_id or not addr:
        return None
    if not net_id.isdecimal() or _ADDRESS.fullmatch(addr) is None:
        return None
    return OpenAttestationRecord(net=net, net_id=net_id, addr=addr)


def matches(records: Iterable[str], address: str, chain_id: int) -> bool:
    """Whether some record names ``address`` on ``chain_id`` (addresses compared without case)."""
    for text in records:
        record = parse_record(text)
        if record and record.addr.lower() == address.lower() and record.net_id == str(chain_id):
            return True
    return False


class StaticDnsTxt:
    """A resolver answering from a fixed mapping of domain to TXT records."""

    def __init__(self, records: Mapping[str, Sequence[str]]) -> None:
        self._records = {domain.lower().rstrip("."): list(r) for domain, r in records.items()}

    def __call__(self, domain: str) -> Sequence[str]:
        return self._records.get(domain.lower().rstrip("."), [])

    @classmethod
    def from_pairs(cls, pairs: Iterable[str]) -> StaticDnsTxt:
        """From ``DOMAIN=RECORD`` strings (a domain may come several times)."""
        records: dict[str, list[str]] = {}
        for pair in pairs:
            domain, sep, record = pair.partition("=")
            if not sep or not domain or not record:
                raise OaError("--dns-txt", f"{pair!r} is not DOMAIN=RECORD")
            records.setdefault(domain.strip(), []).append(record.strip())
        return cls(records)

    @classmethod
    def from_file(cls, path: Path) -> StaticDnsTxt:
        """From a JSON file: ``{"domain": ["record", ...]}`` (a single string is one record)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OaError(str(path), f"not a readable JSON file: {exc}") from None
        if type(raw) is not dict:
            raise OaError(str(path), 'must be an object {"domain": ["record", ...]}')
        records: dict[str, list[str]] = {}
        for domain, value in raw.items():
            values = [value] if type(value) is str else value
            if type(values) is not list or any(type(v) is not str for v in values):
                raise OaError(f"{path}: {domain}", "must be a record or an array of records")
            records[domain] = values
        return cls(records)

    def merged(self, other: StaticDnsTxt) -> StaticDnsTxt:
        combined = {d: list(r) for d, r in self._records.items()}
        for domain, records in other._records.items():
            combined.setdefault(domain, []).extend(records)
        return StaticDnsTxt(combined)

    def __bool__(self) -> bool:
        return any(self._records.values())


SourcedAnswer = Callable[[str], tuple[str | None, Sequence[str]]]
"""A domain's TXT records and the name of the source that holds them (None: none does)."""


def named(name: str, resolver: DnsTxtResolver) -> SourcedAnswer:
    """A resolver as a source called ``name``."""
    return lambda domain: (name, found) if (found := list(resolver(domain))) else (None, [])


class DnsTxtSources:
    """Sources asked in order; the first that has records for a domain answers alone (a
    later source cannot add a record the earlier one did not vouch for), and the verifier's
    report names it."""

    def __init__(self, sources: Sequence[SourcedAnswer]) -> None:
        self._sources = list(sources)

    def answer(self, domain: str) -> tuple[str | None, Sequence[str]]:
        for source in self._sources:
            name, records = source(domain)
            if name is not None and records:
                return name, list(records)
        return None, []

    def __call__(self, domain: str) -> Sequence[str]:
        return self.answer(domain)[1]


__all__ = [
    "DnsTxtError",
    "DnsTxtResolver",
    "DnsTxtSources",
    "OpenAttestationRecord",
    "SourcedAnswer",
    "StaticDnsTxt",
    "matches",
    "named",
    "parse_record",
    "record_text",
]
