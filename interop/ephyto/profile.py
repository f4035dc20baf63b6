"""Validation against the tdx SPS profile schemas (``schema/``), with xmlschema.

The schemas are loaded from this package only (``allow="sandbox"``: no other file and no
network), once, on first use. A failure names the element path and the schema's reason.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from interop.ephyto.errors import SpsXmlError

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


@functools.cache
def _schema(name: str) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(SCHEMA_DIR / name), allow="sandbox", defuse="always")


def sps_schema() -> xmlschema.XMLSchema10:
    return _schema("tdx-sps-rsm.xsd")


def envelope_schema() -> xmlschema.XMLSchema10:
    return _schema("tdx-hub-envelope.xsd")


_PREFIXES = {
    "rsm": "urn:un:unece:uncefact:data:standard:SPSCertificate:17",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:21",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:21",
    "hub": "http://ephyto.ippc.int/HUB.Entities",
}


def _check(schema: xmlschema.XMLSchema10, root: ET.Element, rule: str) -> None:
    # The instance is already parsed; it may load nothing (no schemaLocation hints either).
    for error in schema.iter_errors(
        xmlschema.XMLResource(root, allow="none"), namespaces=dict(_PREFIXES)
    ):
        reason = error.reason or error.message
        raise SpsXmlError(rule, reason.strip(), path=error.path)


def check_sps(root: ET.Element) -> None:
    """Raise SpsXmlError at the first place ``root`` leaves the SPSCertificate profile."""
    _check(sps_schema(), root, "sps_profile")


def check_envelope(root: ET.Element) -> None:
    _check(envelope_schema(), root, "hub_envelope_profile")
