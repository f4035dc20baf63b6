"""Fabric MSPs and TLS material, every certificate issued by the home's country roots.

Each country is one Fabric organisation (``CNMSP``, ``SGMSP``, ...) whose MSP has exactly
one CA: that country's tdx root. NodeOUs are on, so a certificate's role in Fabric is the
one OU among ``client``, ``peer``, ``admin`` and ``orderer`` that it carries; an
organisation's client certificate also carries its tdx role OUs (``carrier``, ``bank``,
...), which Fabric ignores and the chaincode does not trust (roles come from the
registry on the ledger). Keys are P-256 (Fabric's MSP does not take secp256k1, the curve
of the tdx ledger keys); TLS certificates come from the same root, with SANs 127.0.0.1
and localhost and both serverAuth and clientAuth.

Layout under ``<network>/crypto/<CC>/``: ``msp/`` (the verifying MSP that goes into the
channel configuration: cacerts, tlscacerts, crls, config.yaml), and one folder per node or
user (``peer``, ``orderer``, ``admin``, ``ccserver``, ``clients/<org id>``), each with
``msp/`` (signcerts, keystore, cacerts, config.yaml) and ``tls/`` (cert.pem, key.pem,
ca.pem).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from identity import keys, revocation
from identity.certificates import Organisation
from identity.org_id import to_attribute
from identity.roles import Role
from network.home import Home, HomeError

NODE_OUS = ("client", "peer", "admin", "orderer")
CA_FILE = "ca.pem"
CONFIG_YAML = f"""NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/{CA_FILE}
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/{CA_FILE}
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/{CA_FILE}
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/{CA_FILE}
    OrganizationalUnitIdentifier: orderer
"""
LIFETIME = datetime.timedelta(days=365)


def msp_id(country: str) -> str:
    return f"{country}MSP"


def node_name(kind: str, country: str) -> str:
    """``peer0.cn.tdx``, ``orderer0.sg.tdx``, ``admin.kz.tdx``."""
    return f"{kind}{'0' if kind in ('peer', 'orderer') else ''}.{country.lower()}.tdx"


def fabric_ski(key: ec.EllipticCurvePublicKey) -> bytes:
    """Fabric's key identifier: SHA-256 of the uncompressed point (the keystore file name)."""
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return hashlib.sha256(point).digest()


@dataclass(frozen=True)
class Identity:
    """A signing identity on disk: its MSP folder and its TLS folder."""

    folder: Path

    @property
    def msp(self) -> Path:
        return self.folder / "msp"

    @property
    def cert(self) -> Path:
        return self.msp / "signcerts" / "cert.pem"

    @property
    def key(self) -> Path:
        return next((self.msp / "keystore").glob("*_sk"))

    @property
    def tls_cert(self) -> Path:
        return self.folder / "tls" / "cert.pem"

    @property
    def tls_key(self) -> Path:
        return self.folder / "tls" / "key.pem"

    @property
    def tls_ca(self) -> Path:
        return self.folder / "tls" / CA_FILE


@dataclass(frozen=True)
class CountryCrypto:
    country: str
    folder: Path

    @property
    def msp_id(self) -> str:
        return msp_id(self.country)

    @property
    def msp(self) -> Path:
        return self.folder / "msp"

    @property
    def ca(self) -> Path:
        return self.msp / "cacerts" / CA_FILE

    def node(self, kind: str) -> Identity:
        return Identity(self.folder / kind)

    def client(self, org_id: str) -> Identity:
        return Identity(self.folder / "clients" / org_id)

    def clients(self) -> list[str]:
        return sorted(p.name for p in (self.folder / "clients").glob("*") if p.is_dir())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted when a passphrase is given (an organisation's client key,
    read only by our client; a node's key stays plain, as Fabric's keystore reads it)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption(),
    )


def _key_usage(digital_signature: bool, key_encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue(
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime.datetime,
    tls: bool,
) -> x509.Certificate:
    """An end-entity certificate under the country root: a signing identity, or (``tls``)
    a TLS certificate for 127.0.0.1 and localhost, usable by servers and clients."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(True, key_encipherment=tls), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if tls:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    return builder.sign(root_key, hashes.SHA256())


def node_subject(country: str, root: x509.Certificate, kind: str, ou: str) -> x509.Name:
    org = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(org)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(NameOID.COMMON_NAME, node_name(kind, country)),
        ]
    )


def client_subject(org: Organisation) -> x509.Name:
    """The organisation as its tdx certificates name it, plus the NodeOU ``client``."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, org.country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name),
            x509.NameAttribute(
                NameOID.ORGANIZATION_IDENTIFIER, to_attribute(org.country, org.org_id)
            ),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
            *(
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, r.value)
                for r in sorted(org.roles, key=lambda r: r.value)
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, org.id),
        ]
    )


def _write_identity(
    folder: Path,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    now: datetime.datetime,
    passphrase: bytes | None = None,
) -> Identity:
    identity = Identity(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue(root, root_key, subject, key.public_key(), now, tls=False)
    _write(identity.cert, _pem(cert))
    _write(
        identity.msp / "keystore" / f"{fabric_ski(key.public_key()).hex()}_sk",
        _key_pem(key, passphrase),
        private=True,
    )
    _write(identity.msp / "cacerts" / CA_FILE, _pem(root))
    _write(identity.msp / "tlscacerts" / CA_FILE, _pem(root))
    _write(identity.msp / "config.yaml", CONFIG_YAML.encode())
    tls_key = ec.generate_private_key(ec.SECP256R1())
    tls_subject = x509.Name([*subject.get_attributes_for_oid(NameOID.COMMON_NAME)])
    tls_cert = issue(root, root_key, tls_subject, tls_key.public_key(), now, tls=True)
    _write(identity.tls_cert, _pem(tls_cert))
    _write(identity.tls_key, _key_pem(tls_key), private=True)
    _write(identity.tls_ca, _pem(root))
    return identity


def fabric_crl(
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    revoked: Iterable[revocation.Revoked],
    number: int,
    now: datetime.datetime,
) -> x509.CertificateRevocationList:
    """A CRL as Fabric's MSP reads it: with an AuthorityKeyIdentifier (the MSP matches a
    CRL to its CA by it, and fails every identity on a CRL without one)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now)
        .next_update(now + LIFETIME)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.at)
            .add_extension(x509.CRLReason(entry.reason), critical=False)
            .build()
        )
    return builder.sign(root_key, hashes.SHA256())


def _root_key(home: Home, country: str) -> ec.EllipticCurvePrivateKey:
    key = keys.load(home.path / "roots" / f"{country}.key", home.passphrase())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise HomeError(f"the {country} root key must be P-256 for a Fabric MSP")
    return key


def generate(
    home: Home, countries: Iterable[str], folder: Path, now: datetime.datetime
) -> dict[str, CountryCrypto]:
    """Every country's MSP, nodes, admin, chaincode server and organisation clients."""
    out = {}
    by_country: dict[str, list[Organisation]] = {}
    for org in home.organisations():
        by_country.setdefault(org.country, []).append(org)
    for country in countries:
        root = home.root(country)
        root_key = _root_key(home, country)
        crypto = CountryCrypto(country, folder / country)
        _write(crypto.ca, _pem(root))
        _write(crypto.msp / "tlscacerts" / CA_FILE, _pem(root))
        _write(crypto.msp / "config.yaml", CONFIG_YAML.encode())
        crl = fabric_crl(root, root_key, [], 1, now)
        _write(crypto.msp / "crls" / "crl.pem", crl.public_bytes(serialization.Encoding.PEM))
        for kind in ("peer", "orderer", "admin", "ccserver"):
            ou = "peer" if kind == "ccserver" else kind
            _write_identity(
                crypto.folder / kind, root, root_key, node_subject(country, root, kind, ou), now
            )
        for org in by_country.get(country, []):
            _write_identity(
                crypto.folder / "clients" / org.id,
                root,
                root_key,
                client_subject(org),
                now,
                home.passphrase(),
            )
        out[country] = crypto
    return out


def issue_client(home: Home, org: Organisation, folder: Path, now: datetime.datetime) -> Identity:
    """A further Fabric client certificate for an organisation (a test of revocation)."""
    root = home.root(org.country)
    return _write_identity(
        folder, root, _root_key(home, org.country), client_subject(org), now, home.passphrase()
    )


def revoke_fabric_certificate(
    home: Home, crypto: CountryCrypto, serials: Iterable[int], now: datetime.datetime
) -> x509.CertificateRevocationList:
    """A new CRL of the country's MSP listing ``serials`` (and those listed before)."""
    root = home.root(crypto.country)
    current = x509.load_pem_x509_crl((crypto.msp / "crls" / "crl.pem").read_bytes())
    entries = {e.serial: e for e in revocation.entries_of(current)}
    for serial in serials:
        entries.setdefault(serial, revocation.Revoked(serial, now, x509.ReasonFlags.key_compromise))
    number = revocation.crl_number(current) + 1
    crl = fabric_crl(root, _root_key(home, crypto.country), entries.values(), number, now)
    _write(crypto.msp / "crls" / "crl.pem", crl.public_bytes(serialization.Encoding.PEM))
    return crl


def roles_of(subject: x509.Name) -> frozenset[Role]:
    values = {
        str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    }
    return frozenset(Role(v) for v in values if v in {r.value for r in Role})


__all__ = [
    "NODE_OUS",
    "CountryCrypto",
    "Identity",
    "client_subject",
    "fabric_crl",
    "fabric_ski",
    "generate",
    "issue",
    "issue_client",
    "msp_id",
    "node_name",
    "revoke_fabric_certificate",
]
