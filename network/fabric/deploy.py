"""The chaincode's Fabric lifecycle: package, install, approve for each organisation,
commit, then enter the home's organisations in each channel's registry.

Each country runs its own chaincode server and installs its own CCaaS package, whose
``connection.json`` points its peer at that server (TLS both ways: the peer checks the
server's certificate against the country root and presents its own). Packages are built
byte for byte the same every time (fixed tar and gzip times), so the package id, which
the server registers with, is stable across restarts.

The chaincode definition on each channel carries the endorsement policy
``OR('<member>MSP.peer', ...)`` over the channel's members: any member's peer may endorse
a transaction that creates a new key. What makes the *issuing country's* peer necessary
is state-based endorsement, set by the chaincode itself (``ledger.fabric.contract``):
each document key's policy is ``<issuing country>MSP.peer``, and creating a document
writes the issuing country's marker key, whose policy is the same. So no organisation can
create or change a country's documents without that country's peer executing the rules.
A private data collection ``content`` of the channel's members holds document content
when a node puts it on the ledger; only its hash reaches the blocks and other channels.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import socket
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from identity.certificates import fingerprint
from ledger.fabric.gateway import Gateway, Signer, transact
from network.fabric import config, processes
from network.fabric.commands import NetworkError, peer_cli
from network.fabric.layout import CHAINCODE_LABEL, CHAINCODE_NAME, Spec
from network.fabric.msp import issue_client, msp_id
from network.home import Home

Progress = Callable[[str], None]
VERSION = "1"
SEQUENCE = "1"


def _quiet(_: str) -> None:
    return None


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def package(spec: Spec, country: str) -> tuple[bytes, str]:
    """The country's CCaaS package and its package id (label:sha256)."""
    crypto = spec.crypto(country)
    peer = crypto.node("peer")
    connection = {
        "address": f"127.0.0.1:{spec.ccservers[country]}",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "client_key": peer.tls_key.read_text(),
        "client_cert": peer.tls_cert.read_text(),
        "root_cert": crypto.ca.read_text(),
    }
    code = _tar_gz({"connection.json": json.dumps(connection, indent=2).encode()})
    metadata = json.dumps({"type": "ccaas", "label": CHAINCODE_LABEL}).encode()
    data = _tar_gz({"metadata.json": metadata, "code.tar.gz": code})
    return data, f"{CHAINCODE_LABEL}:{hashlib.sha256(data).hexdigest()}"


def _package_file(spec: Spec, country: str) -> Path:
    return spec.folder / "chaincode" / f"{CHAINCODE_LABEL}-{country}.tar.gz"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_servers(spec: Spec) -> Spec:
    """Write each country's package, and start its chaincode server with that id."""
    ids = {}
    for country in spec.countries:
        data, package_id = package(spec, country)
        path = _package_file(spec, country)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        ids[country] = package_id
    if ids != spec.package_ids:
        spec = Spec(**{**spec.__dict__, "package_ids": ids})
        spec.save()
    entries = {}
    for country in spec.countries:
        tls = spec.crypto(country).node("ccserver")
        args = [
            sys.executable,
            "-m",
            "ledger.fabric.ccserver",
            "--package-id",
            ids[country],
            "--address",
            f"127.0.0.1:{spec.ccservers[country]}",
            "--cert",
            str(tls.tls_cert),
            "--key",
            str(tls.tls_key),
            "--client-ca",
            str(spec.crypto(country).ca),
        ]
        env = config._base_env() | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        entries[country] = processes.start(
            spec.folder, f"ccserver-{country}", args, env, spec.logs, "ledger.fabric.ccserver"
        )
    for country, entry in entries.items():
        processes.wait_until(
            lambda c=country: _listening(spec.ccservers[c]),  # type: ignore[misc]
            entry,
            f"the {country} chaincode server",
        )
    return spec


def _collections(spec: Spec, channel: str) -> Path:
    members = spec.channels[channel]
    body = [
        {
            "name": "content",
            "policy": config.member_rule(members, "member"),
            "requiredPeerCount": 0,
            "maxPeerCount": len(members) - 1,
            "blockToLive": 0,
            "memberOnlyRead": True,
            "memberOnlyWrite": True,
        }
    ]
    path = spec.folder / "chaincode" / f"collections-{channel}.json"
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def endorsement_policy(spec: Spec, channel: str) -> str:
    return config.member_rule(spec.channels[channel], "peer")


def _orderer_args(spec: Spec, country: str) -> list[str]:
    return [
        "-o",
        spec.orderer_address(country),
        "--tls",
        "--cafile",
        str(spec.crypto(country).ca),
        "--waitForEventTimeout",
        "90s",
    ]


def install(spec: Spec, progress: Progress = _quiet) -> None:
    for country in spec.countries:
        out = peer_cli(spec, country, "lifecycle", "chaincode", "queryinstalled", "-O", "json")
        installed = {
            c["package_id"] for c in json.loads(out or "{}").get("installed_chaincodes", [])
        }
        if spec.package_ids[country] not in installed:
            peer_cli(
                spec,
                country,
                "lifecycle",
                "chaincode",
                "install",
                str(_package_file(spec, country)),
            )
    progress("chaincode packages installed on the 4 peers")


def _committed(spec: Spec, channel: str, name: str) -> bool:
    country = spec.channels[channel][0]
    try:
        peer_cli(
            spec, country, "lifecycle", "chaincode", "querycommitted", "-C", channel, "-n", name
        )
    except NetworkError:
        return False
    return True


def _approved(spec: Spec, country: str, channel: str, name: str) -> bool:
    try:
        peer_cli(
            spec, country, "lifecycle", "chaincode", "queryapproved",
            "-C", channel, "-n", name, "--sequence", SEQUENCE,
        )  # fmt: skip
    except NetworkError:
        return False
    return True


def _in_parallel(calls: list[Callable[[], object]]) -> None:
    errors: list[BaseException] = []

    def guard(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    if errors:
        raise errors[0]


def define(spec: Spec, name: str = CHAINCODE_NAME, progress: Progress = _quiet) -> None:
    """Approve (each member, in parallel) and commit the chaincode ``name`` on every
    channel (the channels in parallel too); the same packages serve every name."""

    def on(channel: str, members: tuple[str, ...]) -> None:
        if _committed(spec, channel, name):
            return
        common = [
            "--channelID", channel, "--name", name, "--version", VERSION,
            "--sequence", SEQUENCE, "--signature-policy", endorsement_policy(spec, channel),
            "--collections-config", str(_collections(spec, channel)),
        ]  # fmt: skip

        def approve(country: str) -> None:
            try:
                peer_cli(
                    spec, country, "lifecycle", "chaincode", "approveformyorg",
                    *_orderer_args(spec, country), "--package-id", spec.package_ids[country],
                    *common,
                )  # fmt: skip
            except NetworkError as error:
                # The wait for the commit event can time out on a slow block delivery while
                # the approval itself went through: ask the peer before giving up.
                if "timed out waiting for txid" not in str(error) or not _approved(
                    spec, country, channel, name
                ):
                    raise

        _in_parallel([lambda c=country: approve(c) for country in members])  # type: ignore[misc]
        peers: list[str] = []
        for country in members:
            peers += ["--peerAddresses", spec.peer_address(country)]
            peers += ["--tlsRootCertFiles", str(spec.crypto(country).ca)]
        try:
            peer_cli(
                spec, members[0], "lifecycle", "chaincode", "commit",
                *_orderer_args(spec, members[0]), *common, *peers,
            )  # fmt: skip
        except NetworkError as error:
            if "timed out waiting for txid" not in str(error) or not _committed(
                spec, channel, name
            ):
                raise
        progress(f"chaincode {name} committed on {channel}: {endorsement_policy(spec, channel)}")

    _in_parallel(
        [
            lambda ch=channel, m=members: on(ch, m)  # type: ignore[misc]
            for channel, members in spec.channels.items()
        ]
    )


def admin_signer(spec: Spec, country: str) -> Signer:
    admin = spec.crypto(country).node("admin")
    return Signer.load(msp_id(country), admin.cert.read_bytes(), admin.key.read_bytes())


def gateway(spec: Spec, country: str) -> Gateway:
    roots = b"".join(spec.crypto(c).ca.read_bytes() for c in spec.countries)
    return Gateway(spec.peer_address(country), roots)


def registry_entries(home: Home) -> list[dict[str, object]]:
    """Every organisation of the home: its roles as its country may certify them, and its
    ledger certificate (the key the chaincode checks a transaction's signature with)."""
    trust = home.trust_list()
    out: list[dict[str, object]] = []
    for org_id in home.org_ids():
        creds = home.credentials(org_id)
        entry = trust.entry_for_root(creds.root)
        allowed = entry.roles if entry is not None else frozenset()
        out.append(
            {
                "id": org_id,
                "country": creds.organisation.country,
                "roles": sorted(r.value for r in creds.organisation.roles & allowed),
                "kid": fingerprint(creds.ledger_cert),
                "ledgerCert": creds.ledger_cert.public_bytes(serialization.Encoding.PEM).decode(),
            }
        )
    return out


def register(
    home: Home, spec: Spec, name: str = CHAINCODE_NAME, progress: Progress = _quiet
) -> None:
    """Each member country's admin registers its organisations on each of its channels;
    the first member also enters every foreign organisation as a party."""
    entries = registry_entries(home)
    calls: list[Callable[[], object]] = []
    for channel, members in spec.channels.items():
        for index, country in enumerate(members):
            mine = [e for e in entries if e["country"] == country]
            foreign = [e for e in entries if e["country"] not in members]
            body = json.dumps(mine + (foreign if index == 0 else [])).encode()

            def call(ch: str = channel, c: str = country, b: bytes = body) -> None:
                gw = gateway(spec, c)
                try:
                    _, status = transact(
                        gw, admin_signer(spec, c), ch, name, [b"register", b], [msp_id(c)]
                    )
                finally:
                    gw.close()
                if not status.valid:
                    raise NetworkError(f"registering {c}'s organisations on {ch}: {status.name}")

            calls.append(call)
    _in_parallel(calls)
    progress(f"{len(entries)} organisations registered on {', '.join(spec.channels)}")


def deploy(home: Home, spec: Spec, progress: Progress = _quiet, name: str = CHAINCODE_NAME) -> None:
    started = time.monotonic()
    install(spec, progress)
    define(spec, name, progress)
    register(home, spec, name, progress)
    progress(f"chaincode {name} ready in {time.monotonic() - started:.1f} s")


def enrol(home: Home, spec: Spec, now: datetime.datetime) -> None:
    """A Fabric client identity, issued by its country root, for each organisation of the
    home the network's crypto does not know yet (a home newer than the network)."""
    for org in home.organisations():
        client = spec.crypto(org.country).client(org.id)
        if not client.cert.is_file():
            issue_client(home, org, client.folder, now)


def fresh_chaincode(
    home: Home, spec: Spec, name: str, now: datetime.datetime, progress: Progress = _quiet
) -> None:
    """A new chaincode ``name`` on every channel, served by the running chaincode servers:
    a new namespace of the world state, as a fresh contract is on a chain, with the home's
    organisations registered on it."""
    enrol(home, spec, now)
    define(spec, name, progress)
    register(home, spec, name, progress)


__all__ = [
    "admin_signer",
    "define",
    "deploy",
    "endorsement_policy",
    "enrol",
    "fresh_chaincode",
    "gateway",
    "install",
    "package",
    "register",
    "registry_entries",
    "start_servers",
]
