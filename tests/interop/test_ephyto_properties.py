"""import(export(x)) == x over generated valid quarantine certificates."""

import datetime
import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chaincode.documents.phyto import QuarantineCertificate
from interop.ephyto import certificate_from_xml, certificate_to_xml

# Any XML-carriable text: no control characters but tab, newline and carriage return; no
# surrogates or noncharacters. Leading and trailing spaces are kept as they are.
text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc", "Cn")), st.sampled_from("\t\n\r ")
    ),
    min_size=1,
    max_size=40,
)
countries = st.sampled_from(["CN", "KZ", "RU", "SG", "MN", "KG"])
locodes = st.sampled_from(["KZALA", "CNCKG", "RUMOW", "SGSIN", "CNAKA"])
zones = st.sampled_from(
    [datetime.UTC, *(datetime.timezone(datetime.timedelta(minutes=m)) for m in (480, 300, -210))]
)
datetimes = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1),
    max_value=datetime.datetime(2099, 1, 1),
    timezones=zones,
).map(lambda d: d.isoformat())
dates = st.dates(min_value=datetime.date(2000, 1, 1)).map(lambda d: d.isoformat())
positive = st.floats(min_value=1e-9, max_value=1e15, allow_nan=False, allow_infinity=False)
units = st.sampled_from(["KGM", "TNE", "LTR", "MTQ", "H87", "DAY", "HUR", "GM3"])


def optional(strategy):
    return st.one_of(st.none(), strategy)


def drop_none(**fields):
    return {k: v for k, v in fields.items() if v is not None}


measures = st.builds(lambda v, u: {"value": v, "unit": u}, positive, units)
treatments = st.builds(
    drop_none,
    type=text,
    chemical=optional(text),
    concentration=optional(measures),
    duration=optional(measures),
    temperature=optional(
        st.builds(
            lambda v, u: {"value": v, "unit": u},
            st.floats(min_value=-100, max_value=100, allow_nan=False),
            st.sampled_from(["CEL", "FAH"]),
        )
    ),
    date=optional(dates),
    additionalInformation=optional(text),
)
commodities = st.builds(
    drop_none,
    description=text,
    scientificName=st.sampled_from(
        ["Malus domestica", "Citrus spp.", "Pyrus pyrifolia var. culta"]
    ),
    eppoCode=optional(st.sampled_from(["MABSD", "1MABG", "CIDSS"])),
    quantity=measures,
    packages=st.builds(
        lambda n, t: {"count": n, "type": t}, st.integers(1, 10**6), st.sampled_from(["CT", "BX"])
    ),
    hsCode=optional(st.sampled_from(["080810", "0805100000"])),
    originCountry=optional(countries),
)
parties = st.builds(drop_none, name=text, address=text, country=optional(countries))
notes = st.builds(drop_none, subject=optional(text.filter(lambda s: s != "ADEDL")), content=text)


@st.composite
def certificates(draw):
    export_country, import_country = draw(st.lists(countries, min_size=2, max_size=2, unique=True))
    raw = drop_none(
        id=draw(text),
        typeCode=draw(st.sampled_from(["851", "657", "852", "853"])),
        statusCode=draw(st.sampled_from(["70", "40"])),
        issueDateTime=draw(datetimes),
        issuer=drop_none(id=draw(optional(text)), name=draw(text)),
        consignor=draw(parties),
        consignee=draw(parties),
        exportCountry=export_country,
        importCountry=import_country,
        unloadingBaseport={"id": draw(locodes), "name": draw(text)},
        examinationEvent={
            "occurrenceDate": draw(dates),
            "occurrenceLocation": {"id": draw(locodes), "name": draw(text)},
        },
        mainCarriage={"modeCode": draw(st.sampled_from("12345678")), "identifier": draw(text)},
        includedNotes=draw(st.lists(notes, max_size=3)),
        additionalDeclarations=draw(st.lists(text, max_size=3)),
        treatments=draw(st.lists(treatments, max_size=2)),
        commodities=draw(st.lists(commodities, min_size=1, max_size=3)),
        signatory={
            "officerName": draw(text),
            "actualDateTime": draw(datetimes),
            "place": draw(text),
        },
    )
    if draw(st.booleans()):
        replaced = draw(text.filter(lambda s: s != raw["id"]))
        raw["replaces"] = {"id": replaced, "digest": "sha256:" + "0f" * 32}
        raw["includedNotes"].append({"content": f"Replaces certificate {replaced}."})
    try:
        return QuarantineCertificate.model_validate_json(json.dumps(raw))
    except ValidationError:
        assume(False)
        raise


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates())
def test_import_of_export_is_the_certificate(cert):
    imported = certificate_from_xml(certificate_to_xml(cert))
    assert imported.certificate == cert
    assert imported.status.code == cert.statusCode
