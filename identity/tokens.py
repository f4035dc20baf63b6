"""Short-lived bearer tokens: a JWT (RFC 7519) signed by an organisation's key, carrying
its certificate chain in ``x5c``.

The node checks the signature, the chain against its trust list and revocation lists, the
audience (itself), the expiry and a lifetime of at most five minutes. Replay protection
(``jti``) needs storage, so the node does it; this module only reads the ``jti``.
"""

from __future__ import annotations

import datetime
import json
import secrets
from dataclasses import dataclass

from cryptography import x509

from identity import jws
from identity.certificates import Organisation, Purpose
from identity.keys import SigningKey
from identity.roles import Role
from identity.trust_store import TrustStore

JWT_TYPE = "JWT"
MAX_LIFETIME = datetime.timedelta(minutes=5)
LEEWAY = datetime.timedelta(seconds=30)


class TokenError(ValueError):
    """A token that must not be accepted; the message says why."""


@dataclass(frozen=True)
class TokenClaims:
    organisation: Organisation
    certified_roles: frozenset[Role]
    jti: str
    expires: datetime.datetime


def mint(
    key: SigningKey,
    chain: list[x509.Certificate],
    issuer: str,
    audience: str,
    now: datetime.datetime,
    lifetime: datetime.timedelta = MAX_LIFETIME,
) -> str:
    iat = int(now.timestamp())
    claims = {
        "iss": issuer,
        "sub": issuer,
        "aud": audience,
        "iat": iat,
        "exp": iat + int(lifetime.total_seconds()),
        "jti": secrets.token_urlsafe(16),
    }
    return jws.sign(json.dumps(claims, separators=(",", ":")).encode(), key, chain, JWT_TYPE)


def verify(token: str, trust: TrustStore, audience: str, now: datetime.datetime) -> TokenClaims:
    """The token's claims, if its signature, chain (trusted and unrevoked now), audience
    and times hold; ``TokenError`` naming the first that does not. The ``jti`` is not
    checked for replay here (that needs storage: ``network.node.Node.authenticate``)."""
    try:
        verified = jws.verify(token, jws.SUPPORTED_ALGORITHMS, JWT_TYPE)
        claims = json.loads(verified.payload)
        iat = datetime.datetime.fromtimestamp(int(claims["iat"]), datetime.UTC)
        exp = datetime.datetime.fromtimestamp(int(claims["exp"]), datetime.UTC)
        jti, aud, iss = str(claims["jti"]), claims["aud"], str(claims["iss"])
    except jws.JwsError as exc:
        raise TokenError(str(exc)) from exc
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
        raise TokenError("token claims are malformed (iss, aud, iat, exp, jti)") from exc
    if aud != audience:
        raise TokenError(f"token audience {aud!r} is not this node ({audience!r})")
    if exp - iat > MAX_LIFETIME:
        raise TokenError("token lifetime is over 5 minutes")
    if now > exp + LEEWAY:
        raise TokenError(f"token expired at {exp.isoformat()}")
    if iat > now + LEEWAY:
        raise TokenError("token issued in the future")
    judgement = trust.judge(
        verified.chain, now, Purpose.DOCUMENT, str(verified.header["alg"]), now, "the request"
    )
    org = judgement.chain.organisation
    if not judgement.ok or org is None:
        raise TokenError(judgement.reason)
    if org.id != iss:
        raise TokenError(f"token issuer {iss} is not the certificate's {org.id}")
    return TokenClaims(org, judgement.chain.certified_roles, jti, exp)
