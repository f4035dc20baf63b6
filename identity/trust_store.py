"""The node's one trust store: "was this certificate chain trusted, for this purpose, at this
time, and not revoked?", against one trust list and the country roots' revocation lists.

Every caller asks here: the document verification pipeline, the ledger's admission of a
transaction, and bearer-token authentication. What does not depend on time (a chain's
anchor, signatures, constraints and profile; a CRL's issuer and signature) is remembered,
keyed by DER: a certificate's hash and equality are those of its DER encoding, and CRLs and
roots by their DER fingerprints (never a serial number, which is unique only per issuer,
nor an object's identity). What does depend on time (validity periods, the CRL's
freshness, a revocation before the time judged) is asked on every call, and every reason
is built for that call's times.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from identity.certificates import Purpose
from identity.chain import (
    Anchored,
    ChainJudgement,
    RevocationJudgement,
    anchor_chain,
    crl_fault,
    judge_at,
    revocation_at,
)
from identity.trust_list import CountryEntry, TrustList

MAX_REMEMBERED = 10_000  # distinct chains; a node sees few signers


def der_fingerprint(cert: x509.Certificate) -> str:
    """``sha256:<hex>`` of the certificate's DER encoding (as ``certificates.fingerprint``)."""
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class Judgement:
    """A chain's trust at one time, and its revocation at that time."""

    chain: ChainJudgement
    revocation: RevocationJudgement | None  # None when the chain failed: nothing to look up

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.revocation is not None and self.revocation.ok

    @property
    def reason(self) -> str:
        """The first failing half's reason, else the chain's."""
        if self.chain.ok and self.revocation is not None and not self.revocation.ok:
            return self.revocation.reason
        return self.chain.reason


class TrustStore:
    """Chains and revocations judged against one trust list and one set of CRLs."""

    def __init__(
        self,
        trust_list: TrustList,
        revocation_lists: Mapping[str, x509.CertificateRevocationList],
    ) -> None:
        self.trust_list = trust_list
        self._crls = dict(revocation_lists)
        self._crl_fingerprints = {
            country: "sha256:" + crl.fingerprint(hashes.SHA256()).hex()
            for country, crl in self._crls.items()
        }
        self._lock = threading.Lock()
        # (leaf, purpose) -> (the root the chain carried, or None; what anchoring found).
        self._anchored: dict[
            tuple[x509.Certificate, Purpose], tuple[x509.Certificate | None, Anchored | str]
        ] = {}
        # The same, by the identity of the certificate objects (a signer's JWS header opens
        # to the same objects each time): no DER hashed or compared. Each entry holds its
        # certificates, so that their ids are not reused while it is kept.
        self._by_object: dict[
            tuple[int, int, Purpose],
            tuple[x509.Certificate, x509.Certificate | None, Anchored | str],
        ] = {}
        # A CRL's fault for a root (or None): keyed by both DER fingerprints.
        self._crl_faults: dict[tuple[str, str], str | None] = {}
        self._root_fingerprints = {
            country: der_fingerprint(entry.root) for country, entry in trust_list.entries.items()
        }

    @property
    def algorithms(self) -> frozenset[str]:
        """Every signature algorithm some country on the trust list uses."""
        out: frozenset[str] = frozenset()
        for entry in self.trust_list.entries.values():
            out |= entry.algorithms
        return out

    def anchored(self, chain: Sequence[x509.Certificate], purpose: Purpose) -> Anchored | str:
        """The chain's time-independent half (``identity.chain.anchor_chain``): who it
        names and under which trust-list entry, or why it can never be trusted."""
        if not chain or len(chain) > 2:
            return f"chain of {len(chain)} certificates; expected leaf [+ root]"
        leaf = chain[0]
        root = chain[1] if len(chain) > 1 else None
        ident = (id(leaf), id(root), purpose)
        seen = self._by_object.get(ident)
        if seen is not None and seen[0] is leaf and seen[1] is root:
            return seen[2]
        key = (leaf, purpose)  # hashed and compared by DER
        known = self._anchored.get(key)
        if known is not None and known[0] == root:
            anchored = known[1]
        else:
            anchored = anchor_chain(chain, self.trust_list, purpose)
            with self._lock:
                if len(self._anchored) < MAX_REMEMBERED:
                    self._anchored[key] = (root, anchored)
        with self._lock:
            if len(self._by_object) < MAX_REMEMBERED:
                self._by_object[ident] = (leaf, root, anchored)
        return anchored

    def chain(
        self,
        chain: Sequence[x509.Certificate],
        at: datetime.datetime,
        purpose: Purpose,
        algorithm: str | None,
    ) -> ChainJudgement:
        """The chain judged at ``at`` (see ``identity.chain``); its reason names ``at``."""
        return judge_at(self.anchored(chain, purpose), at, algorithm)

    def revocation_list(self, country: str) -> x509.CertificateRevocationList | None:
        """The revocation list this store holds for ``country``'s root, if any."""
        return self._crls.get(country)

    def revocation(
        self,
        leaf: x509.Certificate,
        entry: CountryEntry,
        at: datetime.datetime,
        now: datetime.datetime,
        judged: str = "the signature",
    ) -> RevocationJudgement:
        """Was ``leaf`` (issued by ``entry``'s root) revoked at or before ``at``, by a CRL
        of that root that is current at ``now``? No usable CRL fails closed."""
        crl = self._crls.get(entry.country)
        if crl is None:
            return RevocationJudgement(False, f"no revocation list for {entry.country}")
        root = self._root_fingerprints.get(entry.country) or der_fingerprint(entry.root)
        key = (self._crl_fingerprints[entry.country], root)
        if key not in self._crl_faults:
            fault = crl_fault(crl, entry.root)
            with self._lock:
                self._crl_faults[key] = fault
        fault = self._crl_faults[key]
        if fault is not None:
            return RevocationJudgement(False, fault)
        return revocation_at(leaf, entry, crl, at, now, judged)

    def judge(
        self,
        chain: Sequence[x509.Certificate],
        at: datetime.datetime,
        purpose: Purpose,
        algorithm: str | None,
        now: datetime.datetime,
        judged: str = "the signature",
    ) -> Judgement:
        """The chain at ``at``, then, if it holds, the leaf's revocation at ``at``."""
        judgement = self.chain(chain, at, purpose, algorithm)
        if not judgement.ok or judgement.entry is None:
            return Judgement(judgement, None)
        return Judgement(judgement, self.revocation(chain[0], judgement.entry, at, now, judged))


__all__ = ["Judgement", "TrustStore", "der_fingerprint"]
