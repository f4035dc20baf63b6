"""The verification pipeline: every presented document goes through the same steps, in
order, under an explicit ``Policy``, and comes out as one frozen ``Verification``.

    format        a known format reads the bytes (strict JSON: duplicate keys refused)
    signature     the format opens its signature with an algorithm the trust list allows
    integrity     the document's canonical digest is the digest that was signed
    document      the document passes every rule of its kind (or this node validated the
                  same content when it issued it, under the same rules: the reason says so)
    chain         the signer's chain reaches a listed root, valid at the time judged
    role-for-type the signer's certified roles may issue this kind, in this country
    revocation    the signer's certificate was not revoked at or before the time judged
    anchored      the ledger's record is the signer's (issuer and kind): the binding rule
    status        the record is still in force (an eBL: who holds it)
    inclusion     what backs the record (a Merkle proof, or the block read) holds

A format that presents a document with fields hidden by selective disclosure
(``Undisclosed``) gets ``not_checked`` for signature to revocation, which cannot apply and
are waived (``Report.waived``): its own checks and the ledger's record of the digest it ties
the document to (anchored, status, inclusion) decide.

The time judged is the anchoring time when the ledger's record is bound to the signer, and
the signer's own claimed time otherwise. Any input gives a result: a step that cannot run
leaves the rest ``not_checked``, and an unexpected error fails the step that met it.

Bytes byte-identical to the signed bytes this node verified when it issued them rely on
that for format, signature and integrity (``network.verification.kept``: each reason says
so); everything else is judged as on the full path, which ``full=True`` forces.
"""

from __future__ import annotations

import datetime
import logging
import operator
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chaincode.authority import issue_refusal
from chaincode.canonical import CanonicalizationError, canonical_bytes, digest_bytes
from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from chaincode.records import DocState
from identity.certificates import Purpose
from identity.chain import Anchored, ChainJudgement, judge_at
from identity.checks import Check, CheckName, Report, Status
from ledger.evidence import Evidence
from ledger.interface import EvidenceSource
from network.verification import rules
from network.verification.binding import Binding, bind
from network.verification.facts import DocumentFacts, Verification
from network.verification.formats import (
    TDX_ENVELOPE,
    Format,
    FormatError,
    Input,
    KeptFormat,
    OpenedSignature,
    Presented,
    SignatureError,
    Undisclosed,
)
from network.verification.inclusion import InclusionCheck
from network.verification.kept import relied, verify_for_keeping
from network.verification.policy import Policy

log = logging.getLogger("tdx.verification")
# Seconds spent in each step, summed over the verifications that were given it.
StepTimes = dict[CheckName, float]

ORDER = (
    CheckName.FORMAT,
    CheckName.SIGNATURE,
    CheckName.INTEGRITY,
    CheckName.DOCUMENT,
    CheckName.CHAIN,
    CheckName.ROLE_FOR_TYPE,
    CheckName.REVOCATION,
    CheckName.ANCHORED,
    CheckName.STATUS,
    CheckName.INCLUSION,
)
_IN_ORDER = frozenset(ORDER)
_PASS = Status.PASS  # checks that pass on the hot path are built directly, not via passed()
_ORDER_LIST = list(ORDER)
_NAME = operator.attrgetter("name")
# What a document presented with hidden fields cannot show (``Undisclosed``).
NEEDS_THE_WHOLE_DOCUMENT = (
    CheckName.SIGNATURE,
    CheckName.INTEGRITY,
    CheckName.DOCUMENT,
    CheckName.CHAIN,
    CheckName.ROLE_FOR_TYPE,
    CheckName.REVOCATION,
)
# States in which a document is in force.
LIVE = frozenset(
    {
        DocState.ISSUED,
        DocState.PENDING_SURRENDER_FOR_DELIVERY,
        DocState.PENDING_SURRENDER_FOR_AMENDMENT,
        DocState.SURRENDERED_FOR_DELIVERY,
    }
)


class Pipeline:
    def __init__(self, policy: Policy, formats: Sequence[Format] = (TDX_ENVELOPE,)) -> None:
        self.policy = policy
        self.formats = tuple(formats)
        self.inclusion = InclusionCheck(policy.checkpoint_key)
        # The format whose signed bytes a node verifies at issue and may rely on later.
        self.kept_format = next((f for f in self.formats if isinstance(f, KeptFormat)), None)

    def verify_for_keeping(self, data: bytes, kind: DocumentKind, digest: str) -> str | None:
        """At issue: the SHA-256 to note with the signed bytes the node keeps, if they pass
        format, signature and integrity (``kept.verify_for_keeping``); None otherwise."""
        if self.kept_format is None:
            return None
        return verify_for_keeping(self.kept_format, self.policy.algorithms, data, kind, digest)

    def verify(
        self,
        data: bytes,
        now: datetime.datetime,
        ledger: EvidenceSource | None = None,
        timings: StepTimes | None = None,
        full: bool = False,
    ) -> Verification:
        """Verify presented bytes at ``now``; with ``ledger``, against its evidence too.
        With ``timings``, the time spent in each step is added to it (the benchmark's split).
        With ``full``, format, signature and integrity are recomputed even for bytes this
        node verified at issue."""
        run = _Run(self, Input(data), now, ledger, timings)
        try:
            if full or not run.relying():
                run.steps()
        except Exception as exc:  # fail closed: name the step, never a 500
            log.exception("verification step failed unexpectedly")
            run.fault(exc)
        return run.result()


class _Run:
    """One verification's state, step by step."""

    def __init__(
        self,
        pipeline: Pipeline,
        data: Input,
        now: datetime.datetime,
        ledger: EvidenceSource | None,
        timings: StepTimes | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.policy = pipeline.policy
        self.data = data
        self.now = now
        self.ledger = ledger
        self.checks: list[Check[CheckName]] = []
        self.facts: dict[str, Any] = {}
        self.step = CheckName.FORMAT  # the step running, for a fault
        self.waived: frozenset[CheckName] = frozenset()
        self.timings = timings
        self._since = time.thread_time() if timings is not None else 0.0
        # The relying path's ledger answer, for the full path if it does not rely on it.
        self._looked_up: tuple[str, str, Evidence | None] | None = None

    # --- bookkeeping ------------------------------------------------------------------

    def add(self, check: Check[CheckName]) -> None:
        self.checks.append(check)

    def skip_rest(self, reason: str) -> None:
        done = {c.name for c in self.checks}
        self.checks += [Check.not_checked(n, reason) for n in ORDER if n not in done]

    def fault(self, exc: Exception) -> None:
        step = self.step
        self.checks = [c for c in self.checks if c.name is not step]
        self.add(Check.failed(step, f"could not be checked: {type(exc).__name__}: {exc}"))
        self.skip_rest(f"{step.value} could not be checked")

    def enter(self, step: CheckName) -> None:
        """``step`` runs next: the time since the last step began is the last step's."""
        if self.timings is not None:
            t = time.thread_time()
            self.timings[self.step] = self.timings.get(self.step, 0.0) + t - self._since
            self._since = t
        self.step = step

    def result(self) -> Verification:
        if self.timings is not None:
            self.enter(self.step)  # the running step's time, up to the report
        checks = self.checks
        if list(map(_NAME, checks)) == _ORDER_LIST:
            ordered = tuple(checks)  # ran in order, once each: nothing to reorder
        else:
            by_name = {c.name: c for c in checks}
            ordered = tuple(by_name[n] for n in ORDER if n in by_name)
            ordered += tuple(c for c in checks if c.name not in _IN_ORDER)  # a format's own
        return Report(ordered, DocumentFacts(**self.facts), self.waived)

    # --- the steps --------------------------------------------------------------------

    def relying(self) -> bool:
        """The relying path (``network.verification.kept``): True if the bytes are those this
        node verified at issue and the document was judged; False for the full path."""
        judged = self._relying()
        if not judged:
            self.enter(CheckName.FORMAT)  # the full path starts again from the format
        return judged

    def _relying(self) -> bool:
        fmt = self.pipeline.kept_format
        # Only a ledger that keeps this node's notes can answer for bytes verified at issue
        # (others, e.g. a chain's JSON-RPC node, are not asked twice for nothing).
        if fmt is None or not getattr(self.ledger, "keeps_issue_checks", False):
            return False
        assert self.ledger is not None
        opened = fmt.open_verified_before(self.data, self.policy.algorithms)
        if opened is None:
            return False
        anchored = self.policy.trust.anchored(opened.chain, Purpose.DOCUMENT)
        if isinstance(anchored, str):
            return False
        self.enter(CheckName.ANCHORED)
        signer = anchored.organisation.id
        evidence = self.ledger.evidence(opened.digest, signer)
        self._looked_up = (opened.digest, signer, evidence)
        self.enter(CheckName.SIGNATURE)  # the SHA-256 that stands for the signature's check
        found = relied(self.data.data, opened, evidence)
        if found is None:
            return False
        self.add(Check(CheckName.FORMAT, _PASS, found.format_reason(fmt.name)))
        self.add(Check(CheckName.SIGNATURE, _PASS, found.signature_reason()))
        self.enter(CheckName.INTEGRITY)
        self.add(Check(CheckName.INTEGRITY, _PASS, found.integrity_reason()))
        self.facts.update(
            format=fmt.name, kind=found.kind, signed_at=opened.signed_at, digest=opened.digest
        )
        self.enter(CheckName.ANCHORED)
        binding = bind(found.evidence, signer, found.kind, opened.digest)
        self._judge(found.kind, lambda: None, opened, anchored, binding)
        return True

    def steps(self) -> None:
        found = self._format()
        if found is None:
            self.skip_rest("not a signed document")
            return
        fmt, presented = found
        if presented.undisclosed is not None:
            self._undisclosed(presented, presented.undisclosed)
            return
        opened = self._signature(fmt, presented)
        if opened is None:
            self.skip_rest("no valid signature to judge against")
            return
        digest = self._integrity(presented, opened)
        anchored = self.policy.trust.anchored(opened.chain, Purpose.DOCUMENT)
        binding = self._bind(presented, digest, anchored)
        self._judge(presented.kind, lambda: presented.content, opened, anchored, binding)

    def _judge(
        self,
        kind: DocumentKind,
        content: Callable[[], Mapping[str, Any] | None],
        opened: OpenedSignature,
        anchored: Anchored | str,
        binding: Binding | None,
    ) -> None:
        """The steps after integrity, the same on both paths."""
        issuing_country = self._document(kind, content, binding)
        chain = self._chain(anchored, opened, binding)
        if not chain.ok or chain.organisation is None or chain.entry is None:
            self.skip_rest("no trusted chain")
            return
        self._role_for_type(kind, issuing_country, chain)
        self._revocation(opened, chain, binding)
        self._ledger(binding)

    def _format(self) -> tuple[Format, Presented] | None:
        for fmt in self.pipeline.formats:
            try:
                presented = fmt.read(self.data)
            except FormatError as exc:
                self.add(Check.failed(CheckName.FORMAT, str(exc)))
                return None
            if presented is not None:
                self.add(
                    Check.passed(
                        CheckName.FORMAT, f"{presented.format}, kind {presented.kind.value}"
                    )
                )
                self.facts["format"] = presented.format
                self.facts["kind"] = presented.kind
                self.checks += presented.own_checks
                return fmt, presented
        known = ", ".join(repr(f.name) for f in self.pipeline.formats)
        reason = self.data.json_error or f"not a signed document (expected format {known})"
        self.add(Check.failed(CheckName.FORMAT, reason))
        return None

    def _signature(self, fmt: Format, presented: Presented) -> OpenedSignature | None:
        self.enter(CheckName.SIGNATURE)
        try:
            opened = fmt.open_signature(presented, self.policy.algorithms)
        except SignatureError as exc:
            self.add(Check.failed(CheckName.SIGNATURE, str(exc)))
            return None
        self.add(
            Check.passed(
                CheckName.SIGNATURE,
                f"{opened.algorithm} signature verifies with the x5c certificate",
            )
        )
        self.facts["signed_at"] = opened.signed_at
        return opened

    def _integrity(self, presented: Presented, opened: OpenedSignature) -> str | None:
        """The digest of the document's canonical form, checked against the signed one."""
        self.enter(CheckName.INTEGRITY)
        try:
            digest = digest_bytes(canonical_bytes(presented.content))
        except CanonicalizationError as exc:
            self.add(Check.failed(CheckName.INTEGRITY, f"no canonical form: {exc}"))
            return None
        self.facts["digest"] = digest
        if opened.kind != presented.kind.value:
            reason = f"signed as {opened.kind}, presented as {presented.kind.value}"
            self.add(Check.failed(CheckName.INTEGRITY, reason))
        elif digest != opened.digest:
            reason = (
                f"the document's digest {digest} is not the signed digest {opened.digest}: "
                "it was changed after signing"
            )
            self.add(Check.failed(CheckName.INTEGRITY, reason))
        else:
            self.add(
                Check.passed(CheckName.INTEGRITY, f"digest {digest} matches the signed digest")
            )
        return digest

    def _document(
        self,
        kind: DocumentKind,
        content: Callable[[], Mapping[str, Any] | None],
        binding: Binding | None,
    ) -> str | None:
        """The document against its kind's rules; the issuing country it names, if valid.
        When this node validated the same content (the digest) as this kind when it signed
        it, under the same rules, and its ledger holds the signer's record of it, that
        validation stands, and the reason says so."""
        self.enter(CheckName.DOCUMENT)
        evidence = binding.evidence if binding is not None else None
        at_issue = evidence.validated if evidence is not None else None
        if at_issue is not None and at_issue.kind is kind and at_issue.rules == rules.fingerprint():
            reason = (
                f"valid {kind} document: validated by this node when it "
                f"issued it, under the same rules ({at_issue.rules[:19]}), as recorded with "
                "its ledger entry"
            )
            self.add(Check(CheckName.DOCUMENT, _PASS, reason))
            return at_issue.issuing_country
        value = content()
        if value is None:  # the relying path always has the note; fail closed if not
            self.add(Check.failed(CheckName.DOCUMENT, "no validation at issue to rely on"))
            return None
        try:
            doc = validate_document(kind, value)
        except InvalidDocumentError as exc:
            shown = "; ".join(str(e) for e in exc.errors[:3])
            more = f" (+{len(exc.errors) - 3} more)" if len(exc.errors) > 3 else ""
            self.add(Check.failed(CheckName.DOCUMENT, f"{len(exc.errors)} error(s): {shown}{more}"))
            return None
        self.add(Check.passed(CheckName.DOCUMENT, f"valid {kind} document"))
        return doc.model.issuing_country()

    def _bind(
        self, presented: Presented, digest: str | None, anchored: Anchored | str
    ) -> Binding | None:
        """The ledger's evidence for the document, bound to the signer the certificate
        names (whether that certificate is trusted is the chain check's question)."""
        self.enter(CheckName.ANCHORED)
        if self.ledger is None:
            reason = "no ledger to look up"
        elif digest is None:
            reason = "no digest to look up"
        elif isinstance(anchored, str):
            reason = "no signer to bind the ledger's record to"
        else:
            signer = anchored.organisation.id
            looked_up = self._looked_up
            if looked_up is not None and looked_up[:2] == (digest, signer):
                evidence = looked_up[2]  # the relying path asked the same question
            else:
                evidence = self.ledger.evidence(digest, signer)
            return bind(evidence, signer, presented.kind, digest)
        self.add(Check.not_checked(CheckName.ANCHORED, reason))
        return None

    def _chain(
        self, anchored: Anchored | str, opened: OpenedSignature, binding: Binding | None
    ) -> ChainJudgement:
        self.enter(CheckName.CHAIN)
        evidence = binding.evidence if binding is not None else None
        at = evidence.time if evidence is not None else opened.signed_at
        chain = judge_at(anchored, at, opened.algorithm)
        if not chain.ok or chain.organisation is None:
            self.add(Check.failed(CheckName.CHAIN, chain.reason))
            return chain
        self.add(Check(CheckName.CHAIN, _PASS, chain.reason))
        org = chain.organisation
        self.facts.update(issuer=org.id, issuer_name=org.name, issuer_country=org.country)
        return chain

    def _role_for_type(
        self, kind: DocumentKind, issuing_country: str | None, chain: ChainJudgement
    ) -> None:
        self.enter(CheckName.ROLE_FOR_TYPE)
        org, roles = chain.organisation, chain.certified_roles
        assert org is not None
        refusal = issue_refusal(kind, roles, org.country, issuing_country, self.policy.issuer_roles)
        if refusal is not None:
            self.add(Check.failed(CheckName.ROLE_FOR_TYPE, refusal))
            return
        held = ", ".join(sorted(roles))
        self.add(Check(CheckName.ROLE_FOR_TYPE, _PASS, f"{org.id} ({held}) may issue a {kind}"))

    def _revocation(
        self, opened: OpenedSignature, chain: ChainJudgement, binding: Binding | None
    ) -> None:
        self.enter(CheckName.REVOCATION)
        assert chain.entry is not None
        evidence = binding.evidence if binding is not None else None
        at, judged = (
            (evidence.time, "the anchoring")
            if evidence is not None
            else (opened.signed_at, "the signature")
        )
        judgement = self.policy.trust.revocation(opened.chain[0], chain.entry, at, self.now, judged)
        status = _PASS if judgement.ok else Status.FAIL
        self.add(Check(CheckName.REVOCATION, status, judgement.reason))

    def _ledger(self, binding: Binding | None) -> None:
        self.enter(CheckName.ANCHORED)
        if binding is None:  # anchored is already reported as not checked
            self.skip_rest("not looked up on the ledger")
            return
        self.add(binding.check)
        evidence = binding.evidence
        if evidence is None:
            self.skip_rest("no ledger record of the signer's to judge")
            return
        self._evidence(evidence)

    def _undisclosed(self, presented: Presented, hidden: Undisclosed) -> None:
        """Fields are hidden: the format's own checks (already in) and the ledger's record
        of the digest the format ties the document to decide."""
        self.waived = frozenset(NEEDS_THE_WHOLE_DOCUMENT)
        self.checks += [Check.not_checked(n, hidden.reason) for n in NEEDS_THE_WHOLE_DOCUMENT]
        self.enter(CheckName.ANCHORED)
        if hidden.digest is None or self.ledger is None:
            why = hidden.tie if hidden.digest is None else "no ledger to look up"
            self.add(Check.not_checked(CheckName.ANCHORED, why))
            self.skip_rest("not looked up on the ledger")
            return
        self.facts["digest"] = hidden.digest
        evidence = self.ledger.evidence(hidden.digest, hidden.issuer or "")
        if evidence is None or evidence.digest != hidden.digest:
            reason = f"{hidden.tie}, but {hidden.digest} is not on this node's ledger"
            self.add(Check.failed(CheckName.ANCHORED, reason))
            self.skip_rest("no ledger record to judge")
            return
        if evidence.kind is not presented.kind:
            reason = (
                f"the ledger records {hidden.digest} as a {evidence.kind.value}, but it is "
                f"presented as a {presented.kind.value}"
            )
            self.add(Check.failed(CheckName.ANCHORED, reason))
            self.skip_rest("no ledger record to judge")
            return
        reason = f"{hidden.tie}: issued by {evidence.issuer} at {evidence.time.isoformat()}"
        self.add(Check.passed(CheckName.ANCHORED, reason))
        self.facts["issuer"] = evidence.issuer
        self._evidence(evidence)

    def _evidence(self, evidence: Evidence) -> None:
        self.facts.update(anchored_at=evidence.time, state=evidence.state, holder=evidence.holder)
        self.enter(CheckName.STATUS)
        self.add(_status(evidence))
        self.enter(CheckName.INCLUSION)
        self.add(self.pipeline.inclusion(evidence.proof))


def _status(evidence: Evidence) -> Check[CheckName]:
    if evidence.state in LIVE:
        holder = f", held by {evidence.holder}" if evidence.holder else ""
        away = f"; {evidence.elsewhere}" if evidence.elsewhere else ""
        return Check(CheckName.STATUS, _PASS, f"{evidence.state}{holder}{away}")
    successor = f" by {evidence.superseded_by}" if evidence.superseded_by else ""
    return Check.failed(CheckName.STATUS, f"{evidence.state}{successor}")


__all__ = ["ORDER", "Pipeline", "StepTimes"]
