"""A platform's PINT settings: its code, whose key signs for it, the platforms it trades
with (their URLs and public keys, exchanged out of band as DCSA expects), and which of the
home's organisations hold accounts on it (organisation ids, or country codes for all of a
country's; every organisation when left out).

The file is JSON, strict (unknown fields refused)::

    {"platform": "AEOT", "signer": "cn-cosco", "accounts": ["CN"],
     "peers": [{"platform": "SGTD", "url": "https://sgtd.example",
                "keys": ["-----BEGIN PUBLIC KEY-----..."]}]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chaincode.canonical import CanonicalizationError, parse_json
from interop.pint.models import PLATFORM_CODES
from interop.pint.sender import Peer
from interop.pint.signatures import KeyRing, PublicKey, algorithms_for

FILE_NAME = "pint.json"

PlatformCode = Annotated[str, Field(pattern=r"^\S+$", max_length=4)]


class ConfigError(ValueError):
    """A PINT settings file that is missing or wrong; the message names the field."""


def _platform(code: str) -> str:
    if code not in PLATFORM_CODES:
        raise ValueError(
            f"{code!r} is not a DCSA eBL platform code ({', '.join(sorted(PLATFORM_CODES))})"
        )
    return code


def _public_key(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError(f"a {type(key).__name__} cannot verify PINT signatures")
    algorithms_for(key)  # P-256 or RSA of 2,048 bits or more
    return key


class PeerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: PlatformCode
    url: str = Field(pattern=r"^https?://\S+$")
    keys: list[str] = Field(min_length=1)

    _check_platform = field_validator("platform")(_platform)

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for pem in value:
            _public_key(pem)
        return value


class PlatformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: PlatformCode
    signer: str = Field(min_length=1, description="the organisation whose document key signs")
    peers: list[PeerConfig] = Field(default_factory=list)
    accounts: list[str] | None = Field(
        default=None, description="organisation ids or country codes with accounts here"
    )

    _check_platform = field_validator("platform")(_platform)

    def has_account(self, org_id: str, country: str) -> bool:
        """Whether the organisation holds an account on this platform."""
        return self.accounts is None or org_id in self.accounts or country in self.accounts

    def peer(self, url: str) -> Peer:
        wanted = url.rstrip("/")
        for p in self.peers:
            if p.url.rstrip("/") == wanted:
                return Peer(p.platform, p.url)
        known = ", ".join(p.url for p in self.peers) or "none"
        raise ConfigError(f"{url} is not a configured PINT peer (peers: {known})")

    def ring(self, own: PublicKey) -> KeyRing:
        """The peers' keys and this platform's own (its chain entries come back to it)."""
        ring = KeyRing.of({p.platform: [_public_key(k) for k in p.keys] for p in self.peers})
        ring.add(self.platform, own)
        return ring


def load(path: Path) -> PlatformConfig:
    try:
        data = parse_json(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"no PINT settings at {path}") from None
    except CanonicalizationError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return PlatformConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "$"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None


def public_key_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
