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
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from identity import jws
from identity.certificates import Organisation, Purpose
from identity.keys import SigningKey
from identity.roles import Role
from identity.trust_store import Judgement, TrustStore

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


class ChainJudgements:
    """Token chains already judged trusted by one trust store, so that a caller's every
    request does not judge its chain again. A chain is kept (by its ``x5c`` entries and the
    algorithm) until the first moment its judgement could change: a certificate's expiry,
    the next update of its country's revocation list, a revocation dated later, or ``ttl``
    after it was judged. A chain that fails is never kept: it is judged every time."""

    def __init__(
        self,
        trust: TrustStore,
        ttl: datetime.timedelta = datetime.timedelta(minutes=1),
        size: int = 1024,
    ) -> None:
        self.trust = trust
        self._ttl = ttl
        self._size = size
        self._kept: dict[
            tuple[tuple[str, ...], str],
            tuple[Organisation, frozenset[Role], datetime.datetime, datetime.datetime],
        ] = {}

    def held(
        self, key: tuple[tuple[str, ...], str], now: datetime.datetime
    ) -> tuple[Organisation, frozenset[Role]] | None:
        kept = self._kept.get(key)
        if kept is None or not kept[2] <= now < kept[3]:
            return None
        return kept[0], kept[1]

    def keep(
        self,
        key: tuple[tuple[str, ...], str],
        chain: Sequence[x509.Certificate],
        judgement: Judgement,
        now: datetime.datetime,
    ) -> None:
        org, entry = judgement.chain.organisation, judgement.chain.entry
        if not judgement.ok or org is None or entry is None or judgement.revocation is None:
            return
        ends = [now + self._ttl, *(c.not_valid_after_utc for c in chain)]
        crl = self.trust.revocation_list(entry.country)
        if crl is None or crl.next_update_utc is None:
            return
        ends.append(crl.next_update_utc)
        revoked = judgement.revocation.revoked_at
        if revoked is not None:
            ends.append(revoked)
        if len(self._kept) >= self._size:
            self._kept.clear()  # a node sees few signers: starting afresh is cheap
        # Valid from ``now`` only: a clock that steps back is judged afresh.
        self._kept[key] = (org, judgement.chain.certified_roles, now, min(ends))


def verify(
    token: str,
    trust: TrustStore,
    audience: str,
    now: datetime.datetime,
    judgements: ChainJudgements | None = None,
) -> TokenClaims:
    """The token's claims, if its signature, chain (trusted and unrevoked now), audience
    and times hold; ``TokenError`` naming the first that does not. The ``jti`` is not
    checked for replay here (that needs storage: ``network.node.Node.authenticate``).
    With ``judgements`` (of this trust store), a chain judged trusted lately is not judged
    again (see ``ChainJudgements``); the token's own signature is checked every time."""
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
    alg = str(verified.header["alg"])
    key = (tuple(verified.header["x5c"]), alg)
    cache = judgements if judgements is not None and judgements.trust is trust else None
    held = cache.held(key, now) if cache is not None else None
    if held is None:
        judgement = trust.judge(verified.chain, now, Purpose.DOCUMENT, alg, now, "the request")
        org = judgement.chain.organisation
        if not judgement.ok or org is None:
            raise TokenError(judgement.reason)
        held = (org, judgement.chain.certified_roles)
        if cache is not None:
            cache.keep(key, verified.chain, judgement, now)
    org, roles = held
    if org.id != iss:
        raise TokenError(f"token issuer {iss} is not the certificate's {org.id}")
    return TokenClaims(org, roles, jti, exp)
