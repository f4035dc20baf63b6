"""The node's answer to "who signed this transaction, and were they trusted then?".

It resolves an organisation's ledger certificate from the home, validates its chain
against the trust list and its revocation at the transaction's time, and hands the ledger
the organisation (with the roles its country may certify) and its verifying key.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Actor
from identity.certificates import Purpose, fingerprint, public_key_of
from identity.chain import ChainResult, check_revocation, validate_chain
from identity.checks import Check, Status
from identity.revocation import revoked_at
from identity.trust_list import CountryEntry, TrustList
from identity.tx_keys import TxVerifier
from network.home import Home, HomeError


class HomeIdentities:
    def __init__(
        self,
        home: Home,
        trust_list: TrustList,
        revocation_lists: Mapping[str, x509.CertificateRevocationList],
    ) -> None:
        self._home = home
        self._trust_list = trust_list
        self._crls = revocation_lists
        self._certs: dict[str, tuple[x509.Certificate, x509.Certificate]] = {}
        self._verifiers: dict[str, TxVerifier] = {}
        self._chains: dict[str, ChainResult] = {}
        self._fingerprints: dict[int, str] = {}
        self._crl_signature_ok: set[str] = set()
        self._by_kid: dict[str, bytes] | None = None
        self._parties: dict[str, Actor | None] = {}

    def _ledger_cert(self, org_id: str) -> tuple[x509.Certificate, x509.Certificate]:
        if org_id not in self._certs:
            creds = self._home.credentials(org_id)
            self._certs[org_id] = (creds.ledger_cert, creds.root)
        return self._certs[org_id]

    def authenticate(
        self, org_id: str, kid: str, at: datetime.datetime
    ) -> tuple[Actor, TxVerifier]:
        try:
            cert, root = self._ledger_cert(org_id)
        except HomeError:
            raise Refusal(RefusalKind.FORBIDDEN, f"unknown organisation {org_id}") from None
        if self._fingerprint(cert) != kid:
            raise Refusal(RefusalKind.FORBIDDEN, f"{kid} is not {org_id}'s ledger certificate")
        result = self._chain(kid, cert, root, at)
        if result.check.status is not Status.PASS or result.entry is None:
            raise Refusal(RefusalKind.FORBIDDEN, f"{org_id}: {result.check.reason}")
        revoked = self._revocation(cert, result.entry, at)
        if revoked.status is not Status.PASS:
            raise Refusal(RefusalKind.FORBIDDEN, f"{org_id}: {revoked.reason}")
        if kid not in self._verifiers:
            self._verifiers[kid] = TxVerifier(public_key_of(cert))
        org = result.organisation
        assert org is not None
        return Actor(org.id, org.country, result.certified_roles), self._verifiers[kid]

    def _chain(
        self, kid: str, cert: x509.Certificate, root: x509.Certificate, at: datetime.datetime
    ) -> ChainResult:
        # The chain's signatures are checked once per certificate; the validity periods,
        # which depend on the transaction's time, on every call.
        cached = self._chains.get(kid)
        within = all(c.not_valid_before_utc <= at <= c.not_valid_after_utc for c in (cert, root))
        if cached is not None and within:
            return cached
        result = validate_chain([cert, root], self._trust_list, at, Purpose.LEDGER, None)
        if result.check.status is Status.PASS:
            self._chains[kid] = result
        return result

    def _fingerprint(self, cert: x509.Certificate) -> str:
        key = cert.serial_number
        if key not in self._fingerprints:
            self._fingerprints[key] = fingerprint(cert)
        return self._fingerprints[key]

    def _revocation(
        self, cert: x509.Certificate, entry: CountryEntry, at: datetime.datetime
    ) -> Check:
        # The CRL's signature is checked once (the node loads its CRLs at start); whether
        # it is out of date, and whether it lists this certificate, on every call.
        now = datetime.datetime.now(datetime.UTC)
        if entry.country not in self._crl_signature_ok:
            check = check_revocation(cert, entry, self._crls, at, now)
            if check.status is Status.PASS:
                self._crl_signature_ok.add(entry.country)
            return check
        crl = self._crls[entry.country]
        if crl.next_update_utc is None or crl.next_update_utc < now:
            return check_revocation(cert, entry, self._crls, at, now)
        when = revoked_at(crl, cert)
        if when is not None and when <= at:
            return check_revocation(cert, entry, self._crls, at, now)
        return Check.passed("revocation", "not revoked at the transaction's time")

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
                cert, _ = self._ledger_cert(org_id)
                self._by_kid[self._fingerprint(cert)] = cert.public_bytes(
                    serialization.Encoding.DER
                )
        return self._by_kid.get(kid)
