import pytest

from identity.org_id import OrgIdError, from_attribute, to_attribute, validate_org_id


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("CN", "91330100MA2B000018"),
        ("SG", "201912345R"),
        ("SG", "T08GA0041F"),
        ("RU", "7708503727"),
        ("KZ", "940440004567"),
    ],
)
def test_valid_national_ids(country, value):
    assert validate_org_id(country, value) == value


@pytest.mark.parametrize(
    ("country", "value", "fragment"),
    [
        ("CN", "91330100MA2B000019", "USCI"),  # wrong check character
        ("SG", "201912345A", "UEN"),
        ("RU", "7708503728", "INN"),
        ("RU", "500100732259", "10 digits"),  # a valid personal INN, not an organisation's
        ("KZ", "940440004568", "check digit"),
        ("KZ", "940410004567", "digit 5"),  # an individual's IIN, not a BIN
        ("KZ", "94044000456", "12 digits"),
        ("MN", "1234567", "no national"),
    ],
)
def test_invalid_national_ids(country, value, fragment):
    with pytest.raises(OrgIdError, match=fragment):
        validate_org_id(country, value)


def test_organization_identifier_attribute_round_trip():
    assert to_attribute("KZ", "940440004567") == "NTRKZ-940440004567"
    assert from_attribute("NTRKZ-940440004567") == ("KZ", "940440004567")
    with pytest.raises(OrgIdError):
        from_attribute("VATKZ940440004567")
