"""Field types for the code lists that trade documents share.

Each type names its rule in the error it raises, so an error reads like
``$.utilizedTransportEquipments[0].equipment.equipmentReference: iso6346_check_digit: ...``.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

import iso3166
import iso4217
from pydantic import AfterValidator, BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError
from stdnum import iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError

from chaincode.identifiers import DocId

UNLOCODE_PATTERN = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
HS_CODE_PATTERN = re.compile(r"^\d{6,10}$")
_CURRENCIES = frozenset(c.value for c in iso4217.Currency)


def _country(value: str) -> str:
    if value not in iso3166.countries_by_alpha2:
        raise PydanticCustomError(
            "iso3166_country",
            "'{value}' is not an ISO 3166-1 alpha-2 country code",
            {"value": value},
        )
    return value


def _unlocode(value: str) -> str:
    if not UNLOCODE_PATTERN.fullmatch(value):
        raise PydanticCustomError(
            "unlocode_pattern",
            "'{value}' is not a UN/LOCODE (two letters, then three of A-Z and 2-9)",
            {"value": value},
        )
    return value


def _hs_code(value: str) -> str:
    if not HS_CODE_PATTERN.fullmatch(value):
        raise PydanticCustomError(
            "hs_code_digits", "'{value}' is not an HS code of 6 to 10 digits", {"value": value}
        )
    return value


def _container_number(value: str) -> str:
    try:
        iso6346.validate(value)
    except InvalidChecksum:
        expected = iso6346.calc_check_digit(value[:10]) if len(value) == 11 else "?"
        raise PydanticCustomError(
            "iso6346_check_digit",
            "container number '{value}' fails the ISO 6346 check digit (expected {expected})",
            {"value": value, "expected": expected},
        ) from None
    except ValidationError:
        raise PydanticCustomError(
            "iso6346_format",
            "'{value}' is not an ISO 6346 container number (owner code, category, 6 digits, "
            "check digit)",
            {"value": value},
        ) from None
    return value


def _currency(value: str) -> str:
    if value not in _CURRENCIES:
        raise PydanticCustomError(
            "iso4217_currency", "'{value}' is not an ISO 4217 currency code", {"value": value}
        )
    return value


def _date_string(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("iso8601_date", "a date is written YYYY-MM-DD")
    return value


def _datetime_string(value: Any) -> Any:
    # From JSON only a string is a date-time; Python callers may pass a datetime itself.
    if not isinstance(value, str | datetime.datetime):
        raise PydanticCustomError("rfc3339_datetime", "a date-time is an RFC 3339 string")
    return value


def _aware(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("rfc3339_datetime", "a date-time needs a UTC offset")
    return value


CountryCode = Annotated[str, AfterValidator(_country)]
UNLocationCode = Annotated[str, AfterValidator(_unlocode)]
HSCode = Annotated[str, AfterValidator(_hs_code)]
ContainerNumber = Annotated[str, AfterValidator(_container_number)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
IsoDate = Annotated[datetime.date, BeforeValidator(_date_string), Strict(False)]
IsoDateTime = Annotated[
    datetime.datetime, BeforeValidator(_datetime_string), Strict(False), AfterValidator(_aware)
]
Text = Annotated[str, Field(min_length=1, max_length=512)]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]
PositiveQuantity = Annotated[float, Strict(False), Field(gt=0)]
Digest = DocId  # a document referred to by its id
