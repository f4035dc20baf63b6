"""Changing a country's MSP in the channels' configuration: revoking a Fabric certificate.

A Fabric identity is revoked by the CRL in its organisation's MSP, which lives in every
channel's configuration (each country is an orderer organisation of every channel and an
application organisation of its corridors'). A revocation is therefore a configuration
update of each channel: fetch the latest config block (``peer channel fetch config``),
put the new CRL into the country's MSP value in both groups, compute the update as
``configtxlator compute_update`` would (read set: the path's groups at their versions;
write set: the same, with the MSP value at version + 1), and let the country's admin sign
and send it (``peer channel update``). The MSP value's modification policy is the
country's own ``Admins``, so no other country has to sign.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import msp_config_pb2

from network.fabric.commands import peer_cli
from network.fabric.layout import Spec
from network.fabric.msp import msp_id


def fetch_config(spec: Spec, country: str, channel: str) -> tuple[object, int]:
    """The channel's current configuration and the config block's number."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.block"
        peer_cli(
            spec, country, "channel", "fetch", "config", str(path), "-c", channel,
            "-o", spec.orderer_address(country), "--tls", "--cafile", str(spec.crypto(country).ca),
        )  # fmt: skip
        block = common_pb2.Block.FromString(path.read_bytes())
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    config_envelope = configtx_pb2.ConfigEnvelope.FromString(payload.data)
    return config_envelope.config, int(block.header.number)


def _with_crl(value: object, crl_pem: bytes) -> bytes:
    msp = msp_config_pb2.MSPConfig.FromString(value.value)  # type: ignore[attr-defined]
    fabric = msp_config_pb2.FabricMSPConfig.FromString(msp.config)
    del fabric.revocation_list[:]
    fabric.revocation_list.append(crl_pem)
    msp.config = fabric.SerializeToString()
    return bytes(msp.SerializeToString())


def msp_update(config: object, channel: str, country: str, crl_pem: bytes) -> bytes:
    """The serialised ConfigUpdate that sets the country's MSP CRL in both groups."""
    org = msp_id(country)
    root = config.channel_group  # type: ignore[attr-defined]
    read_set = configtx_pb2.ConfigGroup(version=root.version)
    write_set = configtx_pb2.ConfigGroup(version=root.version)
    for group_name in ("Application", "Orderer"):
        group = root.groups.get(group_name)
        if group is None or org not in group.groups:
            continue
        current = group.groups[org]
        value = current.values["MSP"]
        read_set.groups[group_name].version = group.version
        read_set.groups[group_name].groups[org].version = current.version
        written = write_set.groups[group_name]
        written.version = group.version
        written.groups[org].version = current.version
        written.groups[org].values["MSP"].CopyFrom(
            configtx_pb2.ConfigValue(
                version=value.version + 1,
                value=_with_crl(value, crl_pem),
                mod_policy=value.mod_policy,
            )
        )
    update = configtx_pb2.ConfigUpdate(channel_id=channel, read_set=read_set, write_set=write_set)
    return bytes(update.SerializeToString())


def _unsigned_envelope(channel: str, update: bytes) -> bytes:
    header = common_pb2.ChannelHeader(type=common_pb2.CONFIG_UPDATE, channel_id=channel)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()),
        data=configtx_pb2.ConfigUpdateEnvelope(config_update=update).SerializeToString(),
    )
    return bytes(common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString())


def set_crl(spec: Spec, country: str, crl: x509.CertificateRevocationList) -> dict[str, int]:
    """Put ``crl`` into the country's MSP on every channel; each channel's config block
    number before the update."""
    crl_pem = crl.public_bytes(serialization.Encoding.PEM)
    before = {}
    for channel in spec.channels:
        config, number = fetch_config(spec, country, channel)
        before[channel] = number
        update = msp_update(config, channel, country, crl_pem)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "update.tx"
            path.write_bytes(_unsigned_envelope(channel, update))
            peer_cli(
                spec, country, "channel", "update", "-f", str(path), "-c", channel,
                "-o", spec.orderer_address(country), "--tls",
                "--cafile", str(spec.crypto(country).ca),
            )  # fmt: skip
    return before


__all__ = ["fetch_config", "msp_update", "set_crl"]
