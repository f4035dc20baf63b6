"""A verification completed across borders: what a country's node reports about a document
its own ledger does not hold.

The pipeline (``network.verification``) judges the presented document against this node's
ledger. When the signer is another country's organisation and this ledger has no record of
the digest, that is not a verdict: the record lives on the issuing country's node. Without
asking, ``anchored`` becomes ``not_checked`` (the report is ``UNKNOWN``). Asking
(``--ask-issuer``, ``"askIssuer": true``) adds the ``issuer-node`` check, and when the answer
holds, the pipeline runs again with the answer's record as the evidence: ``anchored``,
``status`` and ``inclusion`` then judge what the issuing node vouched for, its inclusion
proof re-checked against its checkpoint with its key. An answer that fails a check fails
``issuer-node`` (``INVALID``); a node that cannot be asked leaves it ``not_checked``
(``UNKNOWN``), never ``VALID``.
"""

from __future__ import annotations

from collections.abc import Callable

from identity.checks import Check, CheckName, Report, Status
from ledger.evidence import Evidence
from ledger.interface import EvidenceSource
from network.peers.service import IssuerAnswer
from network.verification import Verification


class AnsweredEvidence:
    """The evidence a checked answer vouches for, as an evidence source for the pipeline."""

    def __init__(self, evidence: Evidence) -> None:
        self._evidence = evidence

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        return self._evidence if digest == self._evidence.digest else None


def _replace(
    report: Verification, name: CheckName, check: Check[CheckName], extra: Check[CheckName] | None
) -> Verification:
    checks = tuple(check if c.name is name else c for c in report.checks)
    return Report((*checks, *(() if extra is None else (extra,))), report.facts)


def complete(
    report: Verification,
    data: bytes,
    ask_issuer: bool,
    own_countries: frozenset[str],
    held_locally: Callable[[str, str], bool],
    ask: Callable[[str, str, str], IssuerAnswer] | None,
    rerun: Callable[[bytes, EvidenceSource], Verification],
) -> Verification:
    """``report`` as a node of ``own_countries`` gives it: unchanged for its own countries'
    documents and for documents its ledger holds; otherwise completed as the module says.
    ``ask`` is None on a node without peers."""
    facts = report.facts
    anchored = report.check(CheckName.ANCHORED)
    if (
        facts.digest is None
        or facts.issuer is None
        or facts.issuer_country is None
        or anchored is None
        or anchored.status is not Status.FAIL
        or held_locally(facts.digest, facts.issuer)
    ):
        return report
    country, digest, issuer = facts.issuer_country, facts.digest, facts.issuer
    if country in own_countries:
        if ask_issuer:  # this node is the issuing node: its ledger's answer is the answer
            extra = Check.passed(
                CheckName.ISSUER_NODE, f"this node is the {country} node: its ledger answered"
            )
            return Report((*report.checks, extra), facts)
        return report
    not_held = f"not on this node's ledger: a {country} document is anchored on the {country} node"
    if not ask_issuer or ask is None:
        how = "(ask it: --ask-issuer)" if ask is not None else "(this node has no peers)"
        skipped = Check.not_checked(CheckName.ANCHORED, f"{not_held} {how}")
        missing: Check[CheckName] | None = (
            Check.not_checked(CheckName.ISSUER_NODE, "this node has no peers to ask")
            if ask_issuer
            else None
        )
        return _replace(report, CheckName.ANCHORED, skipped, missing)
    answer = ask(country, digest, issuer)
    if answer.evidence is not None:
        rerun_report = rerun(data, AnsweredEvidence(answer.evidence))
        return Report((*rerun_report.checks, answer.check), rerun_report.facts)
    if answer.status == "unknown":
        failed = Check.failed(
            CheckName.ANCHORED,
            f"the {country} node's ledger holds no record of {digest} (its signed answer, "
            f"checkpoint size {answer.checkpoint_size})",
        )
        return _replace(report, CheckName.ANCHORED, failed, answer.check)
    skipped = Check.not_checked(CheckName.ANCHORED, f"{not_held}, whose answer is not usable")
    return _replace(report, CheckName.ANCHORED, skipped, answer.check)


__all__ = ["AnsweredEvidence", "complete"]
