"""National organisation identifiers: USCI (CN), UEN (SG), INN (RU), BIN (KZ).

Certificates carry the identifier in the X.520 ``organizationIdentifier`` attribute in the
ETSI EN 319 412-1 form ``NTR<country>-<id>`` (national trade register).
"""

from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError
from stdnum.ru import inn
from stdnum.sg import uen

SCHEMES = {"CN": "USCI", "SG": "UEN", "RU": "INN", "KZ": "BIN"}


class OrgIdError(ValueError):
    """An organisation identifier that does not verify."""


def _bin_check_digit(digits: str) -> int | None:
    # Kazakhstan IIN/BIN: weights 1..11 mod 11; on 10, weights 3..11,1,2; 10 again is invalid.
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return check
    return None


def validate_bin(value: str) -> str:
    if len(value) != 12 or not value.isdigit():
        raise OrgIdError(f"BIN {value!r} must be 12 digits")
    if value[4] not in "456":
        raise OrgIdError(f"BIN {value!r}: digit 5 must be 4, 5 or 6 for a legal entity")
    if _bin_check_digit(value[:11]) != int(value[11]):
        raise OrgIdError(f"BIN {value!r}: check digit does not verify")
    return value


def validate_org_id(country: str, value: str) -> str:
    """Validate a national organisation identifier for its country and return it."""
    try:
        if country == "CN":
            return str(uscc.validate(value))
        if country == "SG":
            return str(uen.validate(value))
        if country == "RU":
            checked = str(inn.validate(value))
            if len(checked) != 10:
                raise OrgIdError(f"INN {value!r}: an organisation's INN has 10 digits")
            return checked
        if country == "KZ":
            return validate_bin(value)
    except ValidationError as exc:
        raise OrgIdError(f"{SCHEMES[country]} {value!r}: {exc}") from exc
    raise OrgIdError(f"no national organisation identifier scheme known for {country!r}")


def to_attribute(country: str, value: str) -> str:
    return f"NTR{country}-{value}"


def from_attribute(text: str) -> tuple[str, str]:
    """Split ``NTRCN-91...`` into (country, id)."""
    if len(text) < 7 or not text.startswith("NTR") or text[5] != "-":
        raise OrgIdError(f"organizationIdentifier {text!r} is not of the form NTR<CC>-<id>")
    return text[3:5], text[6:]
