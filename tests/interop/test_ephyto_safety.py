"""Hostile XML is refused before anything reads it, each case under its own rule."""

import json
import time
from pathlib import Path

import pytest

from chaincode.documents.phyto import QuarantineCertificate
from interop.ephyto import (
    HubEnvelope,
    SpsXmlError,
    UnsafeXmlError,
    certificate_from_xml,
    certificate_to_xml,
    envelope_from_xml,
    envelope_to_xml,
    verify_xml,
)
from interop.ephyto.safe_xml import MAX_XML_BYTES
from tests.interop.ephyto_keys import p256

EXAMPLE = Path(__file__).resolve().parents[2] / "network" / "examples" / "phyto_cn_kz_apples.json"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<r>&lol9;</r>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">
<rsm:SPSCertificate xmlns:rsm="urn:un:unece:uncefact:data:standard:SPSCertificate:17"/>
"""

PLAIN_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE rsm:SPSCertificate [<!ELEMENT rsm:SPSCertificate ANY>]>
<rsm:SPSCertificate xmlns:rsm="urn:un:unece:uncefact:data:standard:SPSCertificate:17"/>
"""


@pytest.mark.parametrize(
    ("data", "rule", "says"),
    [
        (BILLION_LAUGHS, "xml_entities_forbidden", "entity 'lol' is declared"),
        (EXTERNAL_ENTITY, "xml_entities_forbidden", "entity 'xxe' is declared"),
        (EXTERNAL_DTD, "xml_dtd_forbidden", "external DTD 'http://127.0.0.1:9/evil.dtd'"),
        (PLAIN_DTD, "xml_dtd_forbidden", "document type declaration 'rsm:SPSCertificate'"),
    ],
)
def test_hostile_xml_is_refused_with_a_clear_error(data, rule, says):
    started = time.monotonic()
    with pytest.raises(UnsafeXmlError) as caught:
        certificate_from_xml(data)
    assert time.monotonic() - started < 2  # refused, not expanded
    assert caught.value.rule == rule
    assert says in str(caught.value)
    # The signature check reads nothing the parser refused.
    _, cert = p256()
    check = verify_xml(data, cert)
    assert (check.status, check.reason.split(":")[0]) == ("fail", rule)


def test_a_bomb_inside_the_envelope_content_is_refused():
    cert = QuarantineCertificate.model_validate_json(EXAMPLE.read_text())
    envelope = HubEnvelope("CN", "KZ", "851", "70", cert.id, BILLION_LAUGHS)
    with pytest.raises(UnsafeXmlError) as caught:
        envelope_from_xml(envelope_to_xml(envelope))
    assert caught.value.rule == "xml_entities_forbidden"


def test_oversized_input_is_refused_unread():
    with pytest.raises(UnsafeXmlError) as caught:
        certificate_from_xml(b"<a>" + b" " * MAX_XML_BYTES + b"</a>")
    assert caught.value.rule == "xml_too_large"


def test_malformed_xml_is_an_error_not_a_crash():
    xml = certificate_to_xml(QuarantineCertificate.model_validate(json.loads(EXAMPLE.read_text())))
    with pytest.raises(SpsXmlError) as caught:
        certificate_from_xml(xml[:-20])
    assert caught.value.rule == "xml_well_formed"
