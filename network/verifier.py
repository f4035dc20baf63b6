"""Verifying a signed document: every check named, with its status and reason.

The checks, in order: format, signature, integrity, document, chain, role-for-type,
revocation. The certificate is judged at the signing time that the signature covers;
once documents are anchored (the ledger), the anchoring time replaces it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography import x509

from chaincode.authority import issue_refusal
from chaincode.canonical import canonical_bytes, digest_bytes
from chaincode.documents.registry import InvalidDocumentError, ValidDocument, validate_document
from identity import jws
from identity.certificates import Purpose
from identity.chain import ChainResult, check_revocation, validate_chain
from identity.checks import Check, Report, Status
from identity.trust_list import TrustList
from network import signed_document

FORMAT = "format"
SIGNATURE = "signature"
INTEGRITY = "integrity"
DOCUMENT = "document"
CHAIN = "chain"
ROLE_FOR_TYPE = "role-for-type"
REVOCATION = "revocation"
ORDER = (FORMAT, SIGNATURE, INTEGRITY, DOCUMENT, CHAIN, ROLE_FOR_TYPE, REVOCATION)


@dataclass(frozen=True)
class _Signed:
    kind: str
    digest: str
    signed_at: datetime.datetime


def _signed_payload(payload: bytes) -> _Signed:
    obj = json.loads(payload)
    signed_at = datetime.datetime.fromisoformat(obj["signedAt"])
    if signed_at.tzinfo is None:
        raise ValueError("signedAt has no UTC offset")
    return _Signed(str(obj["kind"]), str(obj["digest"]), signed_at)


def _skip_rest(report: Report, reason: str) -> Report:
    done = {c.name for c in report.checks}
    for name in ORDER:
        if name not in done:
            report.add(Check.not_checked(name, reason))
    return report


class Verifier:
    """Verifies signed documents against one node's trust list and revocation lists."""

    def __init__(
        self,
        trust_list: TrustList,
        revocation_lists: Mapping[str, x509.CertificateRevocationList],
    ) -> None:
        self.trust_list = trust_list
        self.revocation_lists = revocation_lists
        self._chains: dict[tuple[tuple[str, ...], str], ChainResult] = {}

    def verify(
        self,
        data: bytes,
        now: datetime.datetime,
        anchored_at: Callable[[str], datetime.datetime | None] | None = None,
    ) -> Report:
        """Verify a signed document. ``anchored_at(digest)``, when the ledger knows the
        document, gives the time at which the certificate is judged; otherwise it is the
        signing time the signer claims."""
        report = Report()
        try:
            envelope = signed_document.parse(data)
        except signed_document.EnvelopeError as exc:
            report.add(Check.failed(FORMAT, str(exc)))
            return _skip_rest(report, "not a signed document")
        report.add(Check.passed(FORMAT, f"{signed_document.FORMAT}, kind {envelope.kind.value}"))
        report.facts["kind"] = envelope.kind.value

        try:
            verified = jws.verify(
                envelope.signature, jws.SUPPORTED_ALGORITHMS, signed_document.JWS_TYPE
            )
            signed = _signed_payload(verified.payload)
        except jws.JwsError as exc:
            report.add(Check.failed(SIGNATURE, str(exc)))
            return _skip_rest(report, "no valid signature to judge against")
        except (ValueError, KeyError, TypeError) as exc:
            report.add(Check.failed(SIGNATURE, f"signed payload is malformed: {exc!r}"))
            return _skip_rest(report, "no valid signature to judge against")
        alg = str(verified.header["alg"])
        report.add(Check.passed(SIGNATURE, f"{alg} signature verifies with the x5c certificate"))
        report.facts["signedAt"] = signed.signed_at.isoformat()

        # One canonicalisation serves the integrity and the document checks.
        doc: ValidDocument | None = None
        invalid: InvalidDocumentError | None = None
        try:
            doc = validate_document(envelope.kind, envelope.document)
            actual = doc.digest
        except InvalidDocumentError as exc:
            invalid = exc
            actual = digest_bytes(canonical_bytes(envelope.document))
        report.facts["digest"] = actual
        if signed.kind != envelope.kind.value:
            report.add(
                Check.failed(INTEGRITY, f"signed as {signed.kind}, presented as {envelope.kind}")
            )
        elif actual != signed.digest:
            report.add(
                Check.failed(
                    INTEGRITY,
                    f"the document's digest {actual} is not the signed digest {signed.digest}: "
                    "it was changed after signing",
                )
            )
        else:
            report.add(Check.passed(INTEGRITY, f"digest {actual} matches the signed digest"))

        issuing_country: str | None = None
        if doc is not None:
            issuing_country = doc.model.issuing_country()
            report.add(Check.passed(DOCUMENT, f"valid {envelope.kind.value} document"))
        elif invalid is not None:
            shown = "; ".join(str(e) for e in invalid.errors[:3])
            more = f" (+{len(invalid.errors) - 3} more)" if len(invalid.errors) > 3 else ""
            report.add(Check.failed(DOCUMENT, f"{len(invalid.errors)} error(s): {shown}{more}"))

        anchored = anchored_at(actual) if anchored_at is not None else None
        at = anchored or signed.signed_at
        chain = self._chain(verified, at, alg)
        report.add(chain.check)
        if chain.organisation is None or chain.entry is None:
            return _skip_rest(report, "no trusted chain")
        org = chain.organisation
        report.facts["issuer"] = org.id
        report.facts["issuerName"] = org.name
        report.facts["issuerCountry"] = org.country

        refusal = issue_refusal(envelope.kind, chain.certified_roles, org.country, issuing_country)
        if refusal is None:
            roles = ", ".join(sorted(chain.certified_roles))
            report.add(
                Check.passed(ROLE_FOR_TYPE, f"{org.id} ({roles}) may issue a {envelope.kind.value}")
            )
        else:
            report.add(Check.failed(ROLE_FOR_TYPE, refusal))

        report.add(check_revocation(verified.chain[0], chain.entry, self.revocation_lists, at, now))
        return report

    def _chain(self, verified: jws.VerifiedJws, at: datetime.datetime, alg: str) -> ChainResult:
        # The signatures and extensions of a chain are checked once; validity periods,
        # which depend on the time judged, every time. Bounded: a node sees few signers.
        # The key is the x5c entries themselves: the DER bytes, as base64.
        chain = verified.chain
        key = (tuple(verified.header["x5c"]), alg)
        cached = self._chains.get(key)
        if (
            cached is not None
            and cached.entry is not None
            and all(
                c.not_valid_before_utc <= at <= c.not_valid_after_utc
                for c in (*chain, cached.entry.root)
            )
        ):
            return cached
        result = validate_chain(chain, self.trust_list, at, Purpose.DOCUMENT, alg)
        if result.check.status is Status.PASS and len(self._chains) < 10_000:
            self._chains[key] = result
        return result
