"""The node's answer to "who signed this transaction, and were they trusted then?".

It resolves an organisation's ledger certificate from the home and asks the node's one
trust store (``identity.trust_store``) about its chain and its revocation at the
transaction's time, then hands the ledger the organisation (with the roles its country may
certify) and its verifying key.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Actor
from identity.certificates import Purpose, public_key_of
from identity.trust_store import TrustStore, der_fingerprint
from identity.tx_keys import TxVerifier
from network.home import Home, HomeError


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class HomeIdentities:
    def __init__(
        self,
        home: Home,
        trust: TrustStore,
        clock: Callable[[], datetime.datetime] = _utcnow,
    ) -> None:
        self._home = home
        self._trust = trust
        self._clock = clock
        # org id -> (ledger certificate, its root, its DER fingerprint)
        self._certs: dict[str, tuple[x509.Certificate, x509.Certificate, str]] = {}
        self._verifiers: dict[str, TxVerifier] = {}
        self._by_kid: dict[str, bytes] | None = None
        self._parties: dict[str, Actor | None] = {}

    def _ledger_cert(self, org_id: str) -> tuple[x509.Certificate, x509.Certificate, str]:
        if org_id not in self._certs:
            creds = self._home.credentials(org_id)
            cert = creds.ledger_cert
            self._certs[org_id] = (cert, creds.root, der_fingerprint(cert))
        return self._certs[org_id]

    def authenticate(
        self, org_id: str, kid: str, at: datetime.datetime
    ) -> tuple[Actor, TxVerifier]:
        try:
            cert, root, fingerprint = self._ledger_cert(org_id)
        except HomeError:
            raise Refusal(RefusalKind.FORBIDDEN, f"unknown organisation {org_id}") from None
        if fingerprint != kid:
            raise Refusal(RefusalKind.FORBIDDEN, f"{kid} is not {org_id}'s ledger certificate")
        judgement = self._trust.judge(
            [cert, root], at, Purpose.LEDGER, None, self._clock(), "the transaction"
        )
        org = judgement.chain.organisation
        if not judgement.ok or org is None:
            raise Refusal(RefusalKind.FORBIDDEN, f"{org_id}: {judgement.reason}")
        if kid not in self._verifiers:
            self._verifiers[kid] = TxVerifier(public_key_of(cert))
        return Actor(org.id, org.country, judgement.chain.certified_roles), self._verifiers[kid]

    def party(self, org_id: str) -> Actor | None:
        if org_id not in self._parties:
            try:
                org = self._home.credentials(org_id).organisation
                self._parties[org_id] = Actor(org.id, org.country, org.roles)
            except HomeError:
                self._parties[org_id] = None
        return self._parties[org_id]

    def certificate(self, kid: str) -> bytes | None:
        if self._by_kid is None:
            self._by_kid = {}
            for org_id in self._home.org_ids():
                cert, _, fingerprint = self._ledger_cert(org_id)
                self._by_kid[fingerprint] = cert.public_bytes(serialization.Encoding.DER)
        return self._by_kid.get(kid)
