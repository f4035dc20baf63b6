"""The demo network folder: what the countries' nodes share, and nothing private of theirs.

Layout::

    network.json        format and the network operator's public key (it signs the trust list)
    operator.key        the operator's key (demo passphrase): the demo has one operator
    trust-list.jws      the shared trust list, re-signed as each country joins
    roots/<CC>.crt      each country's root certificate
    crl/<CC>.crl        each country's revocation list, published by its node
    nodes/<CC>.json     each node's public descriptor: country, base URL, log origin,
                        node certificate, checkpoint key, and its peers' checkpoint keys

A country's home keeps its own root key, organisations, ledger and node key; it reads the
trust list and the other countries' revocation lists from here (``network.home``). Writes
happen under one file lock and are atomic (write, fsync, rename).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime
import fcntl
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity import keys, revocation, trust_list
from identity.certificates import fingerprint
from identity.keys import KeyType
from network.atomic_file import write_atomically

FORMAT = "tdx-demo-network/1"
DESCRIPTOR_FORMAT = "tdx-node-descriptor/1"


class NetworkFolderError(Exception):
    """A network folder that is missing, malformed, or lacks what was asked for."""


@dataclass(frozen=True)
class NodeDescriptor:
    """A node's public face: enough for a peer to reach it and to check what it signs."""

    country: str
    base_url: str
    origin: str
    certificate: x509.Certificate
    checkpoint_key: str
    # The checkpoint keys of the nodes it peers with, by country (whose checkpoints it
    # checks and, with the witness protocol, co-signs).
    peer_checkpoint_keys: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DESCRIPTOR_FORMAT,
            "country": self.country,
            "baseUrl": self.base_url,
            "origin": self.origin,
            "nodeCertificate": self.certificate.public_bytes(serialization.Encoding.PEM).decode(),
            "nodeFingerprint": self.fingerprint,
            "checkpointKey": self.checkpoint_key,
            "peerCheckpointKeys": dict(sorted(self.peer_checkpoint_keys.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> NodeDescriptor:
        try:
            if data["format"] != DESCRIPTOR_FORMAT:
                raise NetworkFolderError(f"unknown descriptor format {data['format']!r}")
            cert = x509.load_pem_x509_certificate(str(data["nodeCertificate"]).encode())
            descriptor = cls(
                country=str(data["country"]),
                base_url=str(data["baseUrl"]).rstrip("/"),
                origin=str(data["origin"]),
                certificate=cert,
                checkpoint_key=str(data["checkpointKey"]),
                peer_checkpoint_keys={
                    str(k): str(v) for k, v in dict(data.get("peerCheckpointKeys", {})).items()
                },
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, NetworkFolderError):
                raise
            raise NetworkFolderError(f"malformed node descriptor: {exc!r}") from exc
        if descriptor.fingerprint != data.get("nodeFingerprint"):
            raise NetworkFolderError(
                f"{descriptor.country} descriptor: nodeFingerprint does not match its certificate"
            )
        return descriptor


class NetworkFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def config_path(self) -> Path:
        return self.path / "network.json"

    def exists(self) -> bool:
        return self.config_path.is_file()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def config(self) -> dict[str, Any]:
        try:
            data = json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise NetworkFolderError(f"no demo network folder at {self.path}") from None
        except ValueError as exc:
            raise NetworkFolderError(f"{self.config_path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NetworkFolderError(f"{self.config_path} is not a {FORMAT} folder")
        return data

    def ensure(self, passphrase: bytes, now: datetime.datetime) -> None:
        """Create the folder's operator key and empty trust list, unless it has them."""
        with self.locked():
            if self.exists():
                self.config()
                return
            operator = keys.generate(KeyType.P256)
            key_path = self.path / "operator.key"
            key_path.unlink(missing_ok=True)  # left by an interrupted creation
            keys.save(operator, key_path, passphrase)
            empty = trust_list.build([], sequence=0, issued_at=now)
            write_atomically(
                self.path / "trust-list.jws", trust_list.sign(empty, operator).encode() + b"\n"
            )
            pem = operator.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            config = {
                "format": FORMAT,
                "createdAt": now.isoformat(),
                "operatorPublicKey": pem.decode(),
            }
            write_atomically(self.config_path, json.dumps(config, indent=2).encode() + b"\n")

    def operator_public_pem(self) -> str:
        return str(self.config()["operatorPublicKey"])

    def trust_list_token(self) -> str:
        try:
            return (self.path / "trust-list.jws").read_text()
        except FileNotFoundError:
            raise NetworkFolderError(f"no trust list in {self.path}") from None

    def join(
        self, entry: trust_list.CountryEntry, passphrase: bytes, now: datetime.datetime
    ) -> None:
        """List a country's root (replacing an earlier entry of that country) and re-sign
        the trust list with the next sequence number."""
        with self.locked():
            operator = keys.load(self.path / "operator.key", passphrase)
            current = trust_list.load(self.trust_list_token(), operator.public_key())
            listed = current.entries.get(entry.country)
            if listed is not None and not entry.dns_txt:  # a re-join keeps what it vouched for
                entry = dataclasses.replace(entry, dns_txt=listed.dns_txt)
            entries = {**current.entries, entry.country: entry}
            signed = trust_list.build(entries.values(), current.sequence + 1, now)
            write_atomically(
                self.path / "trust-list.jws", trust_list.sign(signed, operator).encode() + b"\n"
            )
            write_atomically(
                self.path / "roots" / f"{entry.country}.crt",
                entry.root.public_bytes(serialization.Encoding.PEM),
            )

    def publish_crl(self, country: str, pem: bytes) -> None:
        write_atomically(self.path / "crl" / f"{country}.crl", pem)

    def revocation_lists(self) -> dict[str, x509.CertificateRevocationList]:
        return {
            p.stem: revocation.from_pem(p.read_bytes())
            for p in sorted((self.path / "crl").glob("*.crl"))
        }

    # --- descriptors ---------------------------------------------------------------------

    def descriptor_path(self, country: str) -> Path:
        return self.path / "nodes" / f"{country}.json"

    def write_descriptor(self, descriptor: NodeDescriptor) -> None:
        write_atomically(
            self.descriptor_path(descriptor.country),
            json.dumps(descriptor.to_json(), indent=2).encode() + b"\n",
        )

    def descriptors(self) -> dict[str, NodeDescriptor]:
        out = {}
        for path in sorted((self.path / "nodes").glob("*.json")):
            try:
                descriptor = NodeDescriptor.from_json(json.loads(path.read_text()))
            except ValueError as exc:
                raise NetworkFolderError(f"{path}: {exc}") from exc
            out[descriptor.country] = descriptor
        return out

    def descriptor(self, country: str) -> NodeDescriptor:
        found = self.descriptors().get(country)
        if found is None:
            raise NetworkFolderError(f"no node of {country} in the network folder {self.path}")
        return found

    def refresh_peers(self) -> None:
        """Write into each descriptor the checkpoint keys of all the other nodes."""
        with self.locked():
            every = self.descriptors()
            for country, descriptor in every.items():
                peers = {c: d.checkpoint_key for c, d in every.items() if c != country}
                if peers != descriptor.peer_checkpoint_keys:
                    self.write_descriptor(
                        NodeDescriptor(
                            descriptor.country,
                            descriptor.base_url,
                            descriptor.origin,
                            descriptor.certificate,
                            descriptor.checkpoint_key,
                            peers,
                        )
                    )

    def set_base_url(self, country: str, base_url: str) -> None:
        with self.locked():
            d = self.descriptor(country)
            if d.base_url != base_url.rstrip("/"):
                self.write_descriptor(
                    NodeDescriptor(
                        d.country,
                        base_url.rstrip("/"),
                        d.origin,
                        d.certificate,
                        d.checkpoint_key,
                        d.peer_checkpoint_keys,
                    )
                )


def certificate_der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


__all__ = ["NetworkFolder", "NetworkFolderError", "NodeDescriptor", "certificate_der_b64"]
