"""The configuration files and environments of the network's processes.

``configtx.yaml`` is written as JSON (which is YAML) with one profile per channel: the
four countries' orderers order every channel with SmartBFT (each country is one consenter,
so 3 of 4 must agree and no country orders alone), and the channel's member countries
make up its application group. Each country is one organisation in both groups. Peers and
orderers start from Fabric's own ``core.yaml`` and ``orderer.yaml`` (copied from the
pinned release by ``binaries.build``); what differs per process is set in its environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from network.fabric import binaries
from network.fabric.layout import Spec
from network.fabric.msp import msp_id

BUILDER_DIR = Path(__file__).resolve().parent / "ccaas_builder"
SAMPLE_BUILDER = "/opt/hyperledger/ccaas_builder"

# SmartBFT timers, shorter than Fabric's samples (20 s complaint, 1 min heartbeat) so that
# a dead leader is replaced in seconds: the fault tests kill orderers.
SMARTBFT = {
    "RequestForwardTimeout": "2s",
    "RequestComplainTimeout": "6s",
    "RequestAutoRemoveTimeout": "3m0s",
    "ViewChangeResendInterval": "2s",
    "ViewChangeTimeout": "10s",
    "LeaderHeartbeatTimeout": "8s",
    "LeaderHeartbeatCount": 8,
    "CollectTimeout": "1s",
    "IncomingMessageBufferSize": 200,
    "RequestPoolSize": 100000,
}


def member_rule(countries: list[str] | tuple[str, ...], role: str) -> str:
    return "OR(" + ",".join(f"'{msp_id(c)}.{role}'" for c in countries) + ")"


def _organisation(spec: Spec, country: str, orderer: bool) -> dict[str, Any]:
    mid = msp_id(country)
    org: dict[str, Any] = {
        "Name": mid,
        "ID": mid,
        "MSPDir": str(spec.crypto(country).msp),
        "Policies": {
            "Readers": {
                "Type": "Signature",
                "Rule": f"OR('{mid}.admin','{mid}.peer','{mid}.client','{mid}.orderer')",
            },
            "Writers": {
                "Type": "Signature",
                "Rule": f"OR('{mid}.admin','{mid}.client','{mid}.orderer')",
            },
            "Admins": {"Type": "Signature", "Rule": f"OR('{mid}.admin')"},
            "Endorsement": {"Type": "Signature", "Rule": f"OR('{mid}.peer')"},
        },
    }
    if orderer:
        org["OrdererEndpoints"] = [spec.orderer_address(country)]
    else:
        org["AnchorPeers"] = [{"Host": "127.0.0.1", "Port": spec.peers[country].listen}]
    return org


def configtx(spec: Spec) -> dict[str, Any]:
    implicit = {
        "Readers": {"Type": "ImplicitMeta", "Rule": "ANY Readers"},
        "Writers": {"Type": "ImplicitMeta", "Rule": "ANY Writers"},
        "Admins": {"Type": "ImplicitMeta", "Rule": "MAJORITY Admins"},
    }
    consenters = []
    for number, country in enumerate(spec.countries, start=1):
        orderer = spec.crypto(country).node("orderer")
        consenters.append(
            {
                "ID": number,
                "Host": "127.0.0.1",
                "Port": spec.orderers[country].listen,
                "MSPID": msp_id(country),
                "Identity": str(orderer.cert),
                "ClientTLSCert": str(orderer.tls_cert),
                "ServerTLSCert": str(orderer.tls_cert),
            }
        )
    orderer_group = {
        "OrdererType": "BFT",
        "BatchTimeout": "2s",  # not read by the BFT orderer; see layout.Batching
        "BatchSize": {
            "MaxMessageCount": spec.batching.max_message_count,
            "AbsoluteMaxBytes": "10 MB",
            "PreferredMaxBytes": "2 MB",
        },
        "SmartBFT": {**SMARTBFT, "RequestBatchMaxInterval": spec.batching.max_interval},
        "ConsenterMapping": consenters,
        "Organizations": [_organisation(spec, c, orderer=True) for c in spec.countries],
        "Policies": {
            **implicit,
            "BlockValidation": {"Type": "ImplicitMeta", "Rule": "ANY Writers"},
        },
        "Capabilities": {"V2_0": True},
    }
    profiles = {}
    for channel, members in spec.channels.items():
        application = {
            "Organizations": [_organisation(spec, c, orderer=False) for c in members],
            "Policies": {
                **implicit,
                "LifecycleEndorsement": {"Type": "ImplicitMeta", "Rule": "MAJORITY Endorsement"},
                "Endorsement": {"Type": "ImplicitMeta", "Rule": "MAJORITY Endorsement"},
            },
            "Capabilities": {"V2_5": True},
        }
        profiles[channel] = {
            "Policies": implicit,
            "Capabilities": {"V3_0": True},
            "Orderer": orderer_group,
            "Application": application,
        }
    return {"Profiles": profiles}


def write_configtx(spec: Spec) -> Path:
    folder = spec.config_dir / "configtx"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "configtx.yaml").write_text(json.dumps(configtx(spec), indent=2) + "\n")
    return folder


def write_core_yaml(spec: Spec) -> Path:
    """Fabric's core.yaml, with our CCaaS builder in place of the sample's path."""
    folder = spec.config_dir / "peer"
    folder.mkdir(parents=True, exist_ok=True)
    text = (binaries.CONFIG_DIR / "core.yaml").read_text()
    if SAMPLE_BUILDER not in text:
        raise RuntimeError(f"core.yaml of Fabric {binaries.VERSION} has no {SAMPLE_BUILDER}")
    (folder / "core.yaml").write_text(text.replace(SAMPLE_BUILDER, str(BUILDER_DIR)))
    orderer_folder = spec.config_dir / "orderer"
    orderer_folder.mkdir(parents=True, exist_ok=True)
    (orderer_folder / "orderer.yaml").write_text((binaries.CONFIG_DIR / "orderer.yaml").read_text())
    return folder


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "GODEBUG")
    return {k: v for k, v in os.environ.items() if k in keep}


def _list(paths: list[Path]) -> str:
    return "[" + ",".join(str(p) for p in paths) + "]"


def orderer_env(spec: Spec, country: str) -> dict[str, str]:
    crypto = spec.crypto(country)
    node = crypto.node("orderer")
    ports = spec.orderers[country]
    data = spec.data(f"orderer-{country}")
    roots = [spec.crypto(c).ca for c in spec.countries]
    return _base_env() | {
        "FABRIC_CFG_PATH": str(spec.config_dir / "orderer"),
        "FABRIC_LOGGING_SPEC": "warning:orderer.consensus.smartbft=info",
        "ORDERER_GENERAL_LISTENADDRESS": "127.0.0.1",
        "ORDERER_GENERAL_LISTENPORT": str(ports.listen),
        "ORDERER_GENERAL_LOCALMSPID": msp_id(country),
        "ORDERER_GENERAL_LOCALMSPDIR": str(node.msp),
        "ORDERER_GENERAL_TLS_ENABLED": "true",
        "ORDERER_GENERAL_TLS_PRIVATEKEY": str(node.tls_key),
        "ORDERER_GENERAL_TLS_CERTIFICATE": str(node.tls_cert),
        "ORDERER_GENERAL_TLS_ROOTCAS": _list(roots),
        "ORDERER_GENERAL_BOOTSTRAPMETHOD": "none",
        "ORDERER_CHANNELPARTICIPATION_ENABLED": "true",
        "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE": str(node.tls_cert),
        "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY": str(node.tls_key),
        "ORDERER_GENERAL_CLUSTER_ROOTCAS": _list(roots),
        "ORDERER_FILELEDGER_LOCATION": str(data / "ledger"),
        "ORDERER_CONSENSUS_WALDIR": str(data / "wal"),
        "ORDERER_CONSENSUS_SNAPDIR": str(data / "snap"),
        "ORDERER_ADMIN_LISTENADDRESS": f"127.0.0.1:{ports.admin}",
        "ORDERER_ADMIN_TLS_ENABLED": "true",
        "ORDERER_ADMIN_TLS_CERTIFICATE": str(node.tls_cert),
        "ORDERER_ADMIN_TLS_PRIVATEKEY": str(node.tls_key),
        "ORDERER_ADMIN_TLS_ROOTCAS": _list(roots),
        "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED": "true",
        "ORDERER_ADMIN_TLS_CLIENTROOTCAS": _list(roots),
        "ORDERER_OPERATIONS_LISTENADDRESS": f"127.0.0.1:{ports.operations}",
        "ORDERER_METRICS_PROVIDER": "disabled",
        # The trap of the chaincode connection exists between Fabric's own processes too:
        # clients ping every 60 s and servers refuse pings closer than 60 s, so a little
        # jitter earns strikes and, after three, a GOAWAY (too_many_pings) that cuts the
        # peers' block streams. Servers here accept a ping every 10 s.
        "ORDERER_GENERAL_KEEPALIVE_SERVERMININTERVAL": "10s",
    }


def peer_env(spec: Spec, country: str) -> dict[str, str]:
    crypto = spec.crypto(country)
    node = crypto.node("peer")
    ports = spec.peers[country]
    data = spec.data(f"peer-{country}")
    address = spec.peer_address(country)
    return _base_env() | {
        "FABRIC_CFG_PATH": str(spec.config_dir / "peer"),
        "FABRIC_LOGGING_SPEC": "warning:gateway=info",
        "CORE_PEER_ID": f"peer0.{country.lower()}.tdx",
        "CORE_PEER_ADDRESS": address,
        "CORE_PEER_LISTENADDRESS": address,
        "CORE_PEER_CHAINCODEADDRESS": f"127.0.0.1:{ports.chaincode}",
        "CORE_PEER_CHAINCODELISTENADDRESS": f"127.0.0.1:{ports.chaincode}",
        "CORE_PEER_GOSSIP_BOOTSTRAP": address,
        "CORE_PEER_GOSSIP_EXTERNALENDPOINT": address,
        "CORE_PEER_LOCALMSPID": msp_id(country),
        "CORE_PEER_MSPCONFIGPATH": str(node.msp),
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_CERT_FILE": str(node.tls_cert),
        "CORE_PEER_TLS_KEY_FILE": str(node.tls_key),
        "CORE_PEER_TLS_ROOTCERT_FILE": str(node.tls_ca),
        "CORE_PEER_FILESYSTEMPATH": str(data),
        "CORE_LEDGER_SNAPSHOTS_ROOTDIR": str(data / "snapshots"),
        "CORE_OPERATIONS_LISTENADDRESS": f"127.0.0.1:{ports.operations}",
        "CORE_METRICS_PROVIDER": "disabled",
        # No Docker here: chaincode runs only as a service (the CCaaS builder).
        "CORE_VM_ENDPOINT": "",
        "CORE_CHAINCODE_EXECUTETIMEOUT": "30s",
        "CORE_PEER_KEEPALIVE_MININTERVAL": "10s",  # see orderer_env
    }


def admin_env(spec: Spec, country: str) -> dict[str, str]:
    """The ``peer`` CLI acting as the country's admin against its own peer."""
    crypto = spec.crypto(country)
    admin = crypto.node("admin")
    return _base_env() | {
        "FABRIC_CFG_PATH": str(spec.config_dir / "peer"),
        "FABRIC_LOGGING_SPEC": "warning",
        "CORE_PEER_LOCALMSPID": msp_id(country),
        "CORE_PEER_MSPCONFIGPATH": str(admin.msp),
        "CORE_PEER_ADDRESS": spec.peer_address(country),
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_ROOTCERT_FILE": str(crypto.ca),
        "CORE_PEER_TLS_CLIENTCERT_FILE": str(admin.tls_cert),
        "CORE_PEER_TLS_CLIENTKEY_FILE": str(admin.tls_key),
    }


__all__ = [
    "BUILDER_DIR",
    "SMARTBFT",
    "admin_env",
    "configtx",
    "member_rule",
    "orderer_env",
    "peer_env",
    "write_configtx",
    "write_core_yaml",
]
