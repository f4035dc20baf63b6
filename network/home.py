"""A node's home directory: configuration, country roots, organisation keys and
certificates, revocation lists and the signed trust list.

Layout::

    tdx.json                 format, demo or not, operator key, log origin, checkpoint key
    operator.key             the node operator's key (signs the trust list)
    checkpoint.key           the node's Ed25519 key that signs ledger checkpoints
    ledger.db                the embedded ledger (SQLite, WAL)
    store/<hex>.json         signed documents, by digest
    trust-list.jws           the signed trust list
    roots/<CC>.crt|.key      country roots (a demo home holds all four)
    crl/<CC>.crl             each root's signed revocation list
    orgs/<id>/document.crt|.key, ledger.crt|.key

A country's home (``tdx init --country CN --demo-network DIR``, ``network.country_home``)
holds that country's root and organisations only, plus ``node.crt|.key`` (the node's
identity, issued by its root); its ``tdx.json`` names the country and the demo network
folder, from which it reads the shared trust list and the other countries' revocation lists.
"""

from __future__ import annotations

import datetime
import json
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from identity import keys, revocation, tokens, trust_list
from identity.certificates import (
    Organisation,
    Purpose,
    create_root,
    issue_organisation_certificate,
    organisation_of,
)
from identity.keys import KeyType, PrivateKey, SigningKey
from identity.node_certificates import issue_node_certificate
from ledger.tlog import checkpoint
from network.demo_network import COUNTRIES, DEMO_PASSPHRASE, ORGANISATIONS, DemoCountry
from network.network_folder import NetworkFolder, NodeDescriptor

FORMAT = "tdx-home/1"


class HomeError(Exception):
    """A home that is missing, incomplete, or asked for something it does not hold."""


def default_home() -> Path:
    """Where a home is when none is given (the command line also reads ``TDX_HOME``)."""
    return Path.home() / ".tdx"


@dataclass(frozen=True)
class OrgCredentials:
    organisation: Organisation
    document_cert: x509.Certificate
    root: x509.Certificate
    ledger_cert: x509.Certificate


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class Home:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def config_path(self) -> Path:
        return self.path / "tdx.json"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def config(self) -> dict[str, object]:
        try:
            data = json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise HomeError(
                f"no tdx home at {self.path} (run: tdx init --demo --home {self.path})"
            ) from None
        except ValueError as exc:
            raise HomeError(f"{self.config_path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise HomeError(f"{self.config_path} is not a {FORMAT} configuration")
        return data

    def check(self) -> None:
        """Raise ``HomeError`` naming what is missing unless this is a whole home: a valid
        ``tdx.json``, the trust list, revocation lists and at least one organisation (what
        every command reads, whatever the engine; what only one engine needs, such as the
        embedded log's checkpoint key, is named when that engine opens)."""
        self.config()
        # A country's home reads the trust list its demo network folder publishes.
        network = self.network()
        trust = (network.path if network is not None else self.path) / "trust-list.jws"
        missing = [
            name
            for name, present in (
                (str(trust) if network is not None else trust.name, trust.is_file()),
                ("crl/", any((self.path / "crl").glob("*.crl"))),
                ("orgs/", bool(self.org_ids())),
            )
            if not present
        ]
        if missing:
            raise HomeError(
                f"the tdx home at {self.path} is incomplete (missing: {', '.join(missing)}); "
                "make a new one in an empty folder: tdx init --demo --home DIR"
            )

    def setting(self, name: str) -> str:
        value = self.config().get(name)
        if not isinstance(value, str):
            raise HomeError(f"tdx.json has no {name}")
        return value

    @property
    def country(self) -> str | None:
        """The country this home's node serves; None for the demo home of every country."""
        value = self.config().get("country")
        return value if isinstance(value, str) else None

    def network(self) -> NetworkFolder | None:
        """The demo network folder a country's home belongs to, if any."""
        value = self.config().get("network")
        return NetworkFolder(Path(value)) if isinstance(value, str) else None

    def countries(self) -> frozenset[str]:
        """The countries whose node this home is: its own, or all (the single demo home)."""
        own = self.country
        if own is not None:
            return frozenset({own})
        return frozenset(p.stem for p in (self.path / "roots").glob("*.crt"))

    def checkpoint_key(self) -> ed25519.Ed25519PrivateKey:
        key = keys.load(self.path / "checkpoint.key", self.passphrase())
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise HomeError("checkpoint.key must be an Ed25519 key (C2SP signed notes)")
        return key

    def passphrase(self) -> bytes:
        if self.config().get("demo") is True:
            return DEMO_PASSPHRASE.encode()
        return keys.passphrase_from_env_or_prompt()

    # --- reading -----------------------------------------------------------------------

    def trust_list(self) -> trust_list.TrustList:
        operator_pem = self.config().get("operatorPublicKey")
        if not isinstance(operator_pem, str):
            raise HomeError("tdx.json has no operatorPublicKey")
        operator_key = serialization.load_pem_public_key(operator_pem.encode())
        if not isinstance(operator_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
            raise HomeError("the operator key is not an EC or Ed25519 key")
        network = self.network()
        source = network.path if network is not None else self.path
        try:
            token = (source / "trust-list.jws").read_text()
        except FileNotFoundError:
            raise HomeError(f"no trust list in {source}") from None
        return trust_list.load(token, operator_key)

    def revocation_lists(self) -> dict[str, x509.CertificateRevocationList]:
        """The home's own revocation lists, and those the network folder publishes for the
        other countries (its own country's is always the home's copy)."""
        network = self.network()
        lists = network.revocation_lists() if network is not None else {}
        for p in sorted((self.path / "crl").glob("*.crl")):
            lists[p.stem] = revocation.from_pem(p.read_bytes())
        return lists

    def root(self, country: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(
                (self.path / "roots" / f"{country}.crt").read_bytes()
            )
        except FileNotFoundError:
            raise HomeError(f"this home holds no {country} root") from None

    def org_ids(self) -> list[str]:
        return sorted(p.parent.name for p in (self.path / "orgs").glob("*/document.crt"))

    def organisations(self) -> Iterator[Organisation]:
        for org_id in self.org_ids():
            yield self.credentials(org_id).organisation

    def credentials(self, org_id: str) -> OrgCredentials:
        folder = self.path / "orgs" / org_id
        if not (folder / "document.crt").is_file():
            known = ", ".join(self.org_ids())
            raise HomeError(f"unknown organisation {org_id!r} (known: {known})")
        doc = x509.load_pem_x509_certificate((folder / "document.crt").read_bytes())
        org = organisation_of(doc)
        return OrgCredentials(
            organisation=org,
            document_cert=doc,
            root=self.root(org.country),
            ledger_cert=x509.load_pem_x509_certificate((folder / "ledger.crt").read_bytes()),
        )

    def signing_key(self, org_id: str, purpose: Purpose = Purpose.DOCUMENT) -> PrivateKey:
        """A pyca key of the organisation (its ledger key; a document key that is not
        national). A national document key is read with :meth:`document_key`."""
        self.credentials(org_id)
        return keys.load(self.path / "orgs" / org_id / f"{purpose.value}.key", self.passphrase())

    def document_key(self, org_id: str) -> SigningKey:
        """The organisation's document-signing key, whatever its algorithm (ES256, EdDSA,
        SM2SM3, GOST3410-2012-256): it signs documents and bearer tokens."""
        self.credentials(org_id)
        return keys.load_signing_key(
            self.path / "orgs" / org_id / f"{Purpose.DOCUMENT.value}.key", self.passphrase()
        )

    def node_certificate(self) -> x509.Certificate:
        """The node's own certificate (a country's home only)."""
        try:
            return x509.load_pem_x509_certificate((self.path / "node.crt").read_bytes())
        except FileNotFoundError:
            raise HomeError(
                f"{self.path} has no node identity (a country's home has one: tdx init "
                "--country CC --demo-network DIR)"
            ) from None

    def node_key(self) -> ed25519.Ed25519PrivateKey:
        key = keys.load(self.path / "node.key", self.passphrase())
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise HomeError("node.key must be an Ed25519 key (RFC 9421 ed25519)")
        return key

    def mint_token(
        self,
        org_id: str,
        now: datetime.datetime,
        audience: str | None = None,
        lifetime: datetime.timedelta = tokens.MAX_LIFETIME,
    ) -> str:
        """A bearer token for this home's node (or ``audience``), signed as ``org_id``."""
        creds = self.credentials(org_id)
        return tokens.mint(
            self.document_key(org_id),
            [creds.document_cert, creds.root],
            org_id,
            audience or self.setting("origin"),
            now,
            lifetime,
        )

    # --- changing ----------------------------------------------------------------------

    def revoke(
        self, org_id: str, at: datetime.datetime, now: datetime.datetime
    ) -> datetime.datetime:
        """Revoke an organisation's certificates from ``at``.

        Idempotent: a certificate already revoked keeps its first revocation time, which
        is returned.
        """
        creds = self.credentials(org_id)
        country = creds.organisation.country
        root_key = keys.load(self.path / "roots" / f"{country}.key", self.passphrase())
        crl_path = self.path / "crl" / f"{country}.crl"
        current = revocation.from_pem(crl_path.read_bytes())
        entries = {e.serial: e for e in revocation.entries_of(current)}
        for cert in (creds.document_cert, creds.ledger_cert):
            entries.setdefault(
                cert.serial_number,
                revocation.Revoked(cert.serial_number, at, x509.ReasonFlags.key_compromise),
            )
        number = revocation.crl_number(current) + 1
        crl = revocation.build_crl(creds.root, root_key, entries.values(), number, now)
        tmp = crl_path.with_suffix(".tmp")
        _write(tmp, revocation.to_pem(crl))
        tmp.replace(crl_path)
        network = self.network()
        if network is not None:  # the other countries' nodes read it there
            network.publish_crl(country, revocation.to_pem(crl))
        return entries[creds.document_cert.serial_number].at


def _create_atomically(path: Path, populate: Callable[[Path], None]) -> Home:
    """Create a home at ``path`` all at once or not at all: ``populate`` fills a staging
    folder beside it, which is then renamed. HomeError if a home or other files are there."""
    home = Home(path)
    if home.exists():
        raise HomeError(f"a tdx home already exists at {path}; nothing was changed")
    if path.exists() and any(path.iterdir()):
        raise HomeError(f"{path} exists and is not empty; nothing was changed")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.init-", dir=path.parent))
    try:
        populate(staging)
        if path.exists():
            path.rmdir()
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return home


def init_demo(path: Path, now: datetime.datetime) -> Home:
    """Create the demo network home at ``path``, atomically: all of it or nothing.

    Raises HomeError if a home is already there; nothing is overwritten.
    """
    return _create_atomically(path, lambda staging: _populate_demo(staging, now))


def init_country(
    path: Path, country: str, network_dir: Path, base_url: str, now: datetime.datetime
) -> Home:
    """Create the home of one country's node at ``path`` (its root, its organisations, its
    ledger's checkpoint key and its node identity) and join it to the demo network folder
    ``network_dir`` (created if new): the country's root goes on the shared trust list and
    the node's public descriptor into ``nodes/``. Atomic for the home, like ``init_demo``."""
    spec = next((c for c in COUNTRIES if c.code == country), None)
    if spec is None:
        known = ", ".join(c.code for c in COUNTRIES)
        raise HomeError(f"no demo country {country!r} (known: {known})")
    network = NetworkFolder(network_dir.resolve())
    passphrase = DEMO_PASSPHRASE.encode()
    network.ensure(passphrase, now)
    if country in network.descriptors():
        raise HomeError(
            f"the network folder {network.path} already has a node of {country}; nothing was "
            "changed"
        )
    made: dict[str, object] = {}

    def populate(staging: Path) -> None:
        root_cert, root_key, entry = _make_root(staging, spec, passphrase, now)
        _make_organisations(staging, {country: (root_cert, root_key)}, passphrase, now, country)
        node_key = ed25519.Ed25519PrivateKey.generate()
        keys.save(node_key, staging / "node.key", passphrase)
        node_cert = issue_node_certificate(root_cert, root_key, node_key.public_key(), now)
        _write(staging / "node.crt", _pem(node_cert))
        origin, verifier = _make_checkpoint_key(staging, passphrase, f"tdx-node.{country.lower()}")
        config = {
            "format": FORMAT,
            "demo": True,
            "createdAt": now.isoformat(),
            "country": country,
            "network": str(network.path),
            "origin": origin,
            "checkpointKey": verifier,
            "operatorPublicKey": network.operator_public_pem(),
        }
        _write(staging / "tdx.json", json.dumps(config, indent=2).encode() + b"\n")
        made.update(entry=entry, cert=node_cert, origin=origin, verifier=verifier)

    home = _create_atomically(path, populate)
    entry = made["entry"]
    assert isinstance(entry, trust_list.CountryEntry)
    network.join(entry, passphrase, now)
    network.publish_crl(country, (home.path / "crl" / f"{country}.crl").read_bytes())
    node_cert = made["cert"]
    assert isinstance(node_cert, x509.Certificate)
    network.write_descriptor(
        NodeDescriptor(country, base_url, str(made["origin"]), node_cert, str(made["verifier"]))
    )
    network.refresh_peers()
    return home


def _make_root(
    root_dir: Path, country: DemoCountry, passphrase: bytes, now: datetime.datetime
) -> tuple[x509.Certificate, PrivateKey, trust_list.CountryEntry]:
    key = keys.generate(KeyType.P256)
    cert = create_root(country.code, country.root_name, key, now)
    keys.save(key, root_dir / "roots" / f"{country.code}.key", passphrase)
    _write(root_dir / "roots" / f"{country.code}.crt", _pem(cert))
    crl = revocation.build_crl(cert, key, [], 1, now)
    _write(root_dir / "crl" / f"{country.code}.crl", revocation.to_pem(crl))
    return cert, key, trust_list.CountryEntry(country.code, cert, country.roles, country.algorithms)


def _make_organisations(
    root_dir: Path,
    roots: dict[str, tuple[x509.Certificate, PrivateKey]],
    passphrase: bytes,
    now: datetime.datetime,
    only: str | None = None,
) -> None:
    for spec in ORGANISATIONS:
        if only is not None and spec.country != only:
            continue
        root_cert, root_key = roots[spec.country]
        org = Organisation(spec.id, spec.name, spec.country, spec.org_id, spec.roles)
        folder = root_dir / "orgs" / spec.id
        for purpose, key_type in (
            (Purpose.DOCUMENT, spec.key_type),
            (Purpose.LEDGER, KeyType.SECP256K1),
        ):
            key = keys.generate_signing_key(key_type)
            cert = issue_organisation_certificate(
                root_cert, root_key, org, key.public_key(), purpose, now
            )
            keys.save(key, folder / f"{purpose.value}.key", passphrase)
            _write(folder / f"{purpose.value}.crt", _pem(cert))


def _make_checkpoint_key(root_dir: Path, passphrase: bytes, prefix: str) -> tuple[str, str]:
    """The node's checkpoint key (Ed25519, as C2SP signed notes require): its log origin and
    verifier key."""
    checkpoint_key = ed25519.Ed25519PrivateKey.generate()
    keys.save(checkpoint_key, root_dir / "checkpoint.key", passphrase)
    origin = f"{prefix}/{secrets.token_hex(4)}"
    return origin, checkpoint.verifier_key(origin, checkpoint_key.public_key())


def _populate_demo(root_dir: Path, now: datetime.datetime) -> None:
    passphrase = DEMO_PASSPHRASE.encode()
    operator = keys.generate(KeyType.P256)
    keys.save(operator, root_dir / "operator.key", passphrase)

    roots: dict[str, tuple[x509.Certificate, PrivateKey]] = {}
    entries = []
    for country in COUNTRIES:
        cert, key, entry = _make_root(root_dir, country, passphrase, now)
        roots[country.code] = (cert, key)
        entries.append(entry)
    _make_organisations(root_dir, roots, passphrase, now)
    origin, verifier = _make_checkpoint_key(root_dir, passphrase, "tdx.demo")

    tl = trust_list.build(entries, sequence=1, issued_at=now)
    _write(root_dir / "trust-list.jws", trust_list.sign(tl, operator).encode())
    config = {
        "format": FORMAT,
        "demo": True,
        "createdAt": now.isoformat(),
        "origin": origin,
        "checkpointKey": verifier,
        "operatorPublicKey": operator.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    }
    # tdx.json last: its presence marks a complete home.
    _write(root_dir / "tdx.json", json.dumps(config, indent=2).encode() + b"\n")


__all__ = ["Home", "HomeError", "OrgCredentials", "default_home", "init_country", "init_demo"]
