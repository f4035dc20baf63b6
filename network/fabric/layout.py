"""The shape of a tdx Fabric network, as recorded in ``<network>/network.json``.

Four countries, each one Fabric organisation with one peer, one BFT orderer and one
chaincode server; two corridor channels; the ports (free 127.0.0.1 ports, picked once at
creation and kept, so a restart finds everything where it was) and the block-cutting
settings. Everything else (crypto, configuration, data, logs, PIDs) lives in fixed
folders under the network directory.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from network.fabric.msp import CountryCrypto

COUNTRIES = ("CN", "SG", "RU", "KZ")
CHANNELS = {"cn-sg": ("CN", "SG"), "cn-kz-ru": ("CN", "KZ", "RU")}
SPEC_FILE = "network.json"
CHAINCODE_NAME = "tdx"
CHAINCODE_LABEL = "tdx_1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Batching:
    """Block cutting. With BFT ordering, ``max_message_count`` (BatchSize.MaxMessageCount)
    becomes SmartBFT's RequestBatchMaxCount and ``max_interval`` is its
    RequestBatchMaxInterval; the Raft-era BatchTimeout is not read by the BFT orderer."""

    max_message_count: int = 100
    max_interval: str = "100ms"


@dataclass(frozen=True)
class PeerPorts:
    listen: int
    chaincode: int
    operations: int


@dataclass(frozen=True)
class OrdererPorts:
    listen: int
    admin: int
    operations: int


@dataclass(frozen=True)
class Spec:
    folder: Path
    countries: tuple[str, ...]
    channels: dict[str, tuple[str, ...]]
    peers: dict[str, PeerPorts]
    orderers: dict[str, OrdererPorts]
    ccservers: dict[str, int]
    batching: Batching
    package_ids: dict[str, str] = field(default_factory=dict)

    # --- places -------------------------------------------------------------------------

    def crypto(self, country: str) -> CountryCrypto:
        return CountryCrypto(country, self.folder / "crypto" / country)

    @property
    def config_dir(self) -> Path:
        return self.folder / "config"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    def data(self, name: str) -> Path:
        return self.folder / "data" / name

    def block(self, channel: str) -> Path:
        return self.folder / "channel-artifacts" / f"{channel}.block"

    def peer_address(self, country: str) -> str:
        return f"127.0.0.1:{self.peers[country].listen}"

    def orderer_address(self, country: str) -> str:
        return f"127.0.0.1:{self.orderers[country].listen}"

    def channels_of(self, country: str) -> list[str]:
        return [c for c, members in self.channels.items() if country in members]

    # --- the file -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "tdx-fabric-network/1",
            "countries": list(self.countries),
            "channels": {c: list(m) for c, m in self.channels.items()},
            "peers": {c: asdict(p) for c, p in self.peers.items()},
            "orderers": {c: asdict(o) for c, o in self.orderers.items()},
            "ccservers": self.ccservers,
            "batching": asdict(self.batching),
            "packageIds": self.package_ids,
        }

    def save(self) -> None:
        path = self.folder / SPEC_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, folder: Path) -> Spec:
        data = json.loads((folder / SPEC_FILE).read_text())
        return cls(
            folder=folder,
            countries=tuple(data["countries"]),
            channels={c: tuple(m) for c, m in data["channels"].items()},
            peers={c: PeerPorts(**p) for c, p in data["peers"].items()},
            orderers={c: OrdererPorts(**o) for c, o in data["orderers"].items()},
            ccservers={c: int(p) for c, p in data["ccservers"].items()},
            batching=Batching(**data["batching"]),
            package_ids=dict(data.get("packageIds", {})),
        )

    @classmethod
    def new(cls, folder: Path, batching: Batching) -> Spec:
        return cls(
            folder=folder,
            countries=COUNTRIES,
            channels=dict(CHANNELS),
            peers={c: PeerPorts(free_port(), free_port(), free_port()) for c in COUNTRIES},
            orderers={c: OrdererPorts(free_port(), free_port(), free_port()) for c in COUNTRIES},
            ccservers={c: free_port() for c in COUNTRIES},
            batching=batching,
        )


__all__ = [
    "CHAINCODE_LABEL",
    "CHAINCODE_NAME",
    "CHANNELS",
    "COUNTRIES",
    "Batching",
    "OrdererPorts",
    "PeerPorts",
    "Spec",
    "free_port",
]
