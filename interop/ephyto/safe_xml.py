"""Parsing XML from outside: defusedxml, with DTDs, entities and external references refused.

A document is read twice by expat through defusedxml: first with entity declarations and
external references forbidden (so a billion-laughs bomb or an external entity is refused
under its own name), then with any DTD forbidden. Nothing else in this package parses bytes
it did not write itself. lxml, which the signature library needs, only ever sees bytes that
passed this gate, and then with entity resolution, DTD loading and network access off.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree
from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from lxml import etree

from interop.ephyto.errors import SpsXmlError, UnsafeXmlError

MAX_XML_BYTES = 5 * 1024 * 1024  # the API's body limit


def parse_untrusted(data: bytes) -> ET.Element:
    """The root element of ``data``, or UnsafeXmlError / SpsXmlError naming the rule."""
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXmlError("xml_too_large", f"{len(data)} bytes; at most {MAX_XML_BYTES}")
    try:
        defusedxml.ElementTree.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        return defusedxml.ElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except EntitiesForbidden as exc:
        raise UnsafeXmlError(
            "xml_entities_forbidden",
            f"entity {exc.name!r} is declared; entity declarations are refused "
            f"(they carry XML bombs and external entities)",
        ) from None
    except ExternalReferenceForbidden as exc:
        raise UnsafeXmlError(
            "xml_external_reference_forbidden",
            f"external reference to {exc.sysid!r} is refused",
        ) from None
    except DTDForbidden as exc:
        external = f" with external DTD {exc.sysid!r}" if exc.sysid else ""
        raise UnsafeXmlError(
            "xml_dtd_forbidden", f"document type declaration {exc.name!r}{external} is refused"
        ) from None
    except DefusedXmlException as exc:  # any other construct defusedxml refuses
        raise UnsafeXmlError("xml_forbidden_construct", str(exc)) from None
    except ET.ParseError as exc:
        raise SpsXmlError("xml_well_formed", f"not well-formed XML: {exc}") from None


_LXML_PARSER = etree.XMLParser(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
)


def parse_checked_lxml(data: bytes) -> etree._Element:
    """lxml's tree of ``data``, after ``parse_untrusted`` accepted it."""
    parse_untrusted(data)
    return etree.fromstring(data, parser=_LXML_PARSER)
