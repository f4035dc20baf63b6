"""Who witnesses whom: each node is a witness for the logs of its peers, and its peers are
the witnesses of its own log.

A peer is known by the fields of its public descriptor: a name (its country), its base
URL, its log origin, its checkpoint key (the log's signed-note key, type 0x01) and its
witness key (its cosignature key, type 0x04). ``register_peers`` records them in the home;
``witnesses_of`` and ``witnessed_logs`` report where each relation stands.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.tlog import cosignature
from ledger.tlog.checkpoint import CheckpointError, parse_verifier_key
from network.home import Home
from network.witness.cosigner import witness_key_of
from network.witness.store import PeerRow, WitnessStore


class PeerError(ValueError):
    """A peer descriptor that cannot be used; names the field."""


@dataclass(frozen=True)
class WitnessPeer:
    name: str
    url: str
    origin: str
    checkpoint_key: str
    witness_key: str

    def __post_init__(self) -> None:
        if not self.name or not self.origin:
            raise PeerError("name and origin: must not be empty")
        if not self.url.startswith(("http://", "https://")):
            raise PeerError(f"url: {self.url!r} is not an http(s) URL")
        try:
            log_key = parse_verifier_key(self.checkpoint_key)[2]
        except CheckpointError as exc:
            raise PeerError(f"checkpointKey: {exc}") from None
        try:
            witness_key = cosignature.CosignerKey.parse(self.witness_key).public_key
        except CheckpointError as exc:
            raise PeerError(f"witnessKey: {exc}") from None
        # tlog-cosignature: one key per role, so a cosignature never passes for the log's own.
        if log_key.public_bytes_raw() == witness_key.public_bytes_raw():
            raise PeerError("witnessKey: must be another key than the checkpoint key")

    @classmethod
    def from_descriptor(cls, descriptor: Mapping[str, Any]) -> WitnessPeer:
        """From a node's public descriptor: ``country`` (or ``name``), ``baseUrl`` (or
        ``url``), ``origin``, ``checkpointKey`` and ``witnessKey``."""
        fields = {}
        for field, alternatives in (
            ("name", ("country", "name")),
            ("url", ("baseUrl", "url")),
            ("origin", ("origin",)),
            ("checkpoint_key", ("checkpointKey",)),
            ("witness_key", ("witnessKey",)),
        ):
            value = next((descriptor[k] for k in alternatives if k in descriptor), None)
            if not isinstance(value, str):
                raise PeerError(f"{alternatives[0]}: the descriptor must give it as a string")
            fields[field] = value
        return cls(**fields)

    def row(self) -> PeerRow:
        return PeerRow(self.name, self.url, self.origin, self.checkpoint_key, self.witness_key)


def descriptor_fields(home: Home) -> dict[str, str]:
    """What a node adds to its public descriptor so that its peers can witness it and be its
    witnesses: its log origin, its checkpoint key and its witness key."""
    return {
        "origin": home.setting("origin"),
        "checkpointKey": home.setting("checkpointKey"),
        "witnessKey": witness_key_of(home),
    }


def register_peers(home: Home, peers: Iterable[WitnessPeer], replace: bool = True) -> None:
    """Record the peers of a home: it witnesses their logs, they witness its log. With
    ``replace`` the list replaces the one recorded before; a peer's own home is skipped."""
    own = home.setting("origin")
    rows = [p.row() for p in peers if p.origin != own]
    store = WitnessStore.of_home(home.path)
    try:
        store.set_peers(rows, replace)
    finally:
        store.close()


@dataclass(frozen=True)
class WitnessState:
    """One witness of this node's log, for ``tdx network status``."""

    name: str
    url: str
    key: str
    cosigned_size: int | None
    cosigned_at: datetime.datetime | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "key": self.key,
            "cosignedSize": self.cosigned_size,
            "cosignedAt": self.cosigned_at.isoformat() if self.cosigned_at else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class WitnessedLog:
    """One peer log this node witnesses: the latest size it cosigned, and any evidence."""

    name: str
    origin: str
    cosigned_size: int | None
    cosigned_at: datetime.datetime | None
    evidence: int
    disputes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "cosignedSize": self.cosigned_size,
            "cosignedAt": self.cosigned_at.isoformat() if self.cosigned_at else None,
            "evidence": self.evidence,
            "disputes": self.disputes,
        }


def _time(seconds: int | None) -> datetime.datetime | None:
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def witnesses_of(home: Home) -> list[WitnessState]:
    """The witnesses of this node's log and how far each has cosigned it."""
    store = WitnessStore.of_home(home.path)
    try:
        peers, submissions = store.peers(), store.submissions()
    finally:
        store.close()
    states = []
    for peer in peers:
        sub = submissions.get(peer.witness_key)
        states.append(
            WitnessState(
                peer.name,
                peer.url,
                peer.witness_key,
                sub.size if sub and sub.cosigned_at is not None else None,
                _time(sub.cosigned_at) if sub else None,
                sub.error if sub else None,
            )
        )
    return states


def witnessed_logs(home: Home) -> list[WitnessedLog]:
    """The peer logs this node witnesses."""
    store = WitnessStore.of_home(home.path)
    try:
        peers, held = store.peers(), store.held_all()
        evidence, disputes = store.evidence(), store.disputes()
    finally:
        store.close()
    logs = []
    for peer in peers:
        found = held.get(peer.origin)
        logs.append(
            WitnessedLog(
                peer.name,
                peer.origin,
                found[0].size if found else None,
                _time(found[1]) if found else None,
                sum(1 for e in evidence if e.origin == peer.origin),
                sum(1 for d in disputes if d.origin == peer.origin),
            )
        )
    return logs


__all__ = [
    "PeerError",
    "WitnessPeer",
    "WitnessState",
    "WitnessedLog",
    "descriptor_fields",
    "register_peers",
    "witnessed_logs",
    "witnesses_of",
]
