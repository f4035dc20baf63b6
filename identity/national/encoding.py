"""The DER structures national keys travel in: X.509 SubjectPublicKeyInfo (RFC 5280) and
PKCS#8 PrivateKeyInfo (RFC 5208), read and written with asn1crypto.

asn1crypto's own key classes look the key format up by algorithm and fail on OIDs they do
not know (GOST), so these structures keep the parameters and the key as opaque values
and each plugin decodes its own. Input must be DER: anything that does not re-encode to
the same bytes is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from asn1crypto import core

from identity.national.interface import NationalKeyError


class _AlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class _SubjectPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012
        ("algorithm", _AlgorithmIdentifier),
        ("subject_public_key", core.OctetBitString),
    ]


class _PrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("private_key_algorithm", _AlgorithmIdentifier),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


@dataclass(frozen=True)
class KeyEncoding:
    """An algorithm identifier (OID and DER parameters) and the key octets."""

    algorithm: str
    parameters: bytes | None
    key: bytes


_T = TypeVar("_T", bound=core.Asn1Value)


def _load(cls: type[_T], der: bytes, what: str) -> _T:
    try:
        value: _T = cls.load(der, strict=True)
        value.native  # noqa: B018 (parses every field now, so errors surface here)
        canonical = value.dump(force=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise NationalKeyError(f"{what} is not valid DER: {exc}") from exc
    if canonical != der:
        raise NationalKeyError(f"{what} is not in DER (canonical) form")
    return value


def _algorithm(value: _AlgorithmIdentifier) -> tuple[str, bytes | None]:
    params = value["parameters"]
    return value["algorithm"].dotted, None if isinstance(params, core.Void) else params.dump()


def read_spki(der: bytes) -> KeyEncoding:
    spki = _load(_SubjectPublicKeyInfo, der, "SubjectPublicKeyInfo")
    oid, params = _algorithm(spki["algorithm"])
    return KeyEncoding(oid, params, spki["subject_public_key"].native)


def write_spki(encoding: KeyEncoding) -> bytes:
    algorithm: dict[str, object] = {"algorithm": encoding.algorithm}
    if encoding.parameters is not None:
        algorithm["parameters"] = core.Any.load(encoding.parameters)
    value = _SubjectPublicKeyInfo(
        {
            "algorithm": _AlgorithmIdentifier(algorithm),
            "subject_public_key": encoding.key,
        }
    )
    return bytes(value.dump())


def read_pkcs8(der: bytes) -> KeyEncoding:
    info = _load(_PrivateKeyInfo, der, "PKCS#8 PrivateKeyInfo")
    if info["version"].native != 0:
        raise NationalKeyError("PKCS#8 PrivateKeyInfo must be version 0")
    oid, params = _algorithm(info["private_key_algorithm"])
    return KeyEncoding(oid, params, info["private_key"].native)


def write_pkcs8(encoding: KeyEncoding) -> bytes:
    algorithm: dict[str, object] = {"algorithm": encoding.algorithm}
    if encoding.parameters is not None:
        algorithm["parameters"] = core.Any.load(encoding.parameters)
    value = _PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": _AlgorithmIdentifier(algorithm),
            "private_key": encoding.key,
        }
    )
    return bytes(value.dump())


def oid_der(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def octet_string_der(value: bytes) -> bytes:
    return bytes(core.OctetString(value).dump())


def read_octet_string(der: bytes, what: str) -> bytes:
    value: bytes = _load(core.OctetString, der, what).native
    return value
