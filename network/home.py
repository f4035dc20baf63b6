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
"""

from __future__ import annotations

import datetime
import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
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
from identity.keys import KeyType, PrivateKey
from ledger.tlog import checkpoint
from network.demo_network import COUNTRIES, DEMO_PASSPHRASE, ORGANISATIONS

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
        missing = [
            name
            for name, present in (
                ("trust-list.jws", (self.path / "trust-list.jws").is_file()),
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
        try:
            token = (self.path / "trust-list.jws").read_text()
        except FileNotFoundError:
            raise HomeError(f"no trust list in {self.path}") from None
        return trust_list.load(token, operator_key)

    def revocation_lists(self) -> dict[str, x509.CertificateRevocationList]:
        return {
            p.stem: revocation.from_pem(p.read_bytes())
            for p in sorted((self.path / "crl").glob("*.crl"))
        }

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
        self.credentials(org_id)
        return keys.load(self.path / "orgs" / org_id / f"{purpose.value}.key", self.passphrase())

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
            self.signing_key(org_id),
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
        return entries[creds.document_cert.serial_number].at


def init_demo(path: Path, now: datetime.datetime) -> Home:
    """Create the demo network home at ``path``, atomically: all of it or nothing.

    Raises HomeError if a home is already there; nothing is overwritten.
    """
    home = Home(path)
    if home.exists():
        raise HomeError(f"a tdx home already exists at {path}; nothing was changed")
    if path.exists() and any(path.iterdir()):
        raise HomeError(f"{path} exists and is not empty; nothing was changed")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.init-", dir=path.parent))
    try:
        _populate_demo(staging, now)
        if path.exists():
            path.rmdir()
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return home


def _populate_demo(root_dir: Path, now: datetime.datetime) -> None:
    passphrase = DEMO_PASSPHRASE.encode()
    operator = keys.generate(KeyType.P256)
    keys.save(operator, root_dir / "operator.key", passphrase)

    roots: dict[str, tuple[x509.Certificate, PrivateKey]] = {}
    entries = []
    for country in COUNTRIES:
        key = keys.generate(KeyType.P256)
        cert = create_root(country.code, country.root_name, key, now)
        roots[country.code] = (cert, key)
        keys.save(key, root_dir / "roots" / f"{country.code}.key", passphrase)
        _write(root_dir / "roots" / f"{country.code}.crt", _pem(cert))
        crl = revocation.build_crl(cert, key, [], 1, now)
        _write(root_dir / "crl" / f"{country.code}.crl", revocation.to_pem(crl))
        entries.append(
            trust_list.CountryEntry(country.code, cert, country.roles, country.algorithms)
        )

    for spec in ORGANISATIONS:
        root_cert, root_key = roots[spec.country]
        org = Organisation(spec.id, spec.name, spec.country, spec.org_id, spec.roles)
        folder = root_dir / "orgs" / spec.id
        for purpose, key_type in (
            (Purpose.DOCUMENT, spec.key_type),
            (Purpose.LEDGER, KeyType.SECP256K1),
        ):
            key = keys.generate(key_type)
            cert = issue_organisation_certificate(
                root_cert, root_key, org, key.public_key(), purpose, now
            )
            keys.save(key, folder / f"{purpose.value}.key", passphrase)
            _write(folder / f"{purpose.value}.crt", _pem(cert))

    # The node's checkpoint key: Ed25519, as C2SP signed notes require.
    checkpoint_key = ed25519.Ed25519PrivateKey.generate()
    keys.save(checkpoint_key, root_dir / "checkpoint.key", passphrase)
    origin = f"tdx.demo/{secrets.token_hex(4)}"

    tl = trust_list.build(entries, sequence=1, issued_at=now)
    _write(root_dir / "trust-list.jws", trust_list.sign(tl, operator).encode())
    config = {
        "format": FORMAT,
        "demo": True,
        "createdAt": now.isoformat(),
        "origin": origin,
        "checkpointKey": checkpoint.verifier_key(origin, checkpoint_key.public_key()),
        "operatorPublicKey": operator.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    }
    # tdx.json last: its presence marks a complete home.
    _write(root_dir / "tdx.json", json.dumps(config, indent=2).encode() + b"\n")


__all__ = ["Home", "HomeError", "OrgCredentials", "default_home", "init_demo"]
