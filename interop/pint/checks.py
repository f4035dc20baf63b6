"""The receiving platform's judgement of an envelope, as pure functions.

Each function returns a ``Judgement``: the PINT response code it calls for (``None`` when
nothing stands against the envelope), the reason, and every check it ran, each with a
name, a status and a reason. It fails closed: the first failing check decides, and the
checks after it are reported as not checked.

In order, as DCSA's text orders them:

1. ``inspect_envelope``: the envelope's shape (DCSA's schema), every signature (``BSIG``:
   malformed, unknown key, refused algorithm, a key speaking for another platform), then
   the checksums that bind the transport document, the manifest and the chain together,
   the chain's own rules, the recipient, and the document itself (``BENV``);
2. ``judge_history``: the envelope against what this platform already knows of the eBL
   (``DUPE`` if it accepted this very transfer, ``DISE`` if the chain contradicts its
   history or its ledger: a possible double spend);
3. ``judge_document`` (each upload) and ``missing_documents`` (at the finish): ``INCD``
   and ``MDOC``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from identity.checks import Check, Status
from interop.pint import schema
from interop.pint.chain import ChainError, ChainFacts, walk
from interop.pint.checksums import (
    document_checksum,
    sha256_hex,
    signed_content_checksum,
    transport_document_checksum,
)
from interop.pint.ledger_port import LocalControl, PartyDirectory
from interop.pint.models import (
    SURRENDERS,
    ActionCode,
    DocumentMetadata,
    EnvelopeManifest,
    IssuanceManifest,
    Party,
    ResponseCode,
    Transaction,
    TransferChainEntry,
)
from interop.pint.signatures import (
    KeyRing,
    PayloadError,
    SignatureError,
    Verified,
    payload_bytes,
    verify,
)

# What an envelope's last transaction may be for this platform to accept it: those that
# pass possession here, and the carrier's answer to a surrender made from here. An
# endorsement or a signature alone moves nothing between platforms.
RECEIVABLE = frozenset({ActionCode.ISSUE, ActionCode.TRANSFER, ActionCode.SREJ, ActionCode.SACC})
RECEIVABLE |= SURRENDERS

# The checks of inspect_envelope, in order.
ENVELOPE_CHECKS = (
    "envelope",
    "manifest-signature",
    "manifest",
    "chain-signatures",
    "chain-entries",
    "transport-document-checksum",
    "chain-links",
    "issuance-manifest",
    "transactions",
    "recipient",
    "additional-documents",
    "transport-document",
)


@dataclass(frozen=True)
class Inspected:
    """An envelope every check of ``inspect_envelope`` passed, and what it established."""

    transport_document: dict[str, Any]
    td_checksum: str
    manifest: EnvelopeManifest
    chain: tuple[str, ...]
    entries: tuple[TransferChainEntry, ...]
    checksums: tuple[str, ...]  # of each chain entry, as received
    facts: ChainFacts
    recipient_account: str
    last_payload_checksum: str

    @property
    def last_entry_checksum(self) -> str:
        return self.checksums[-1]

    @property
    def sender(self) -> str:
        return self.entries[-1].eblPlatform

    @property
    def last_transaction(self) -> Transaction:
        return self.facts.last

    @property
    def recipient(self) -> Party:
        recipient = self.facts.last.recipient
        assert recipient is not None  # inspect_envelope refuses an envelope without one
        return recipient

    @property
    def documents(self) -> list[DocumentMetadata]:
        return self.manifest.documents()


@dataclass(frozen=True)
class Judgement:
    code: ResponseCode | None
    reason: str
    checks: tuple[Check, ...]
    last_entry_checksum: str | None = None
    envelope: Inspected | None = None
    duplicate_of: str | None = None  # for DUPE: the accepted last entry, verbatim

    @property
    def passed(self) -> bool:
        return self.code is None


class _Refused(Exception):  # noqa: N818 (control flow inside this module)
    def __init__(self, code: ResponseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class _Trail:
    names: Sequence[str]
    checks: list[Check] = field(default_factory=list)

    def passed(self, name: str, reason: str) -> None:
        self.checks.append(Check.passed(name, reason))

    def refuse(self, name: str, code: ResponseCode, reason: str) -> _Refused:
        self.checks.append(Check.failed(name, f"{code.value}: {reason}"))
        done = {c.name for c in self.checks}
        for later in self.names:
            if later not in done:
                self.checks.append(Check.not_checked(later, f"after {name} failed"))
        return _Refused(code, reason)


def _schema(trail: _Trail, check: str, name: str, value: Any, what: str) -> None:
    problems = schema.violations(name, value, limit=3)
    if problems:
        raise trail.refuse(check, ResponseCode.BENV, f"{what}: {'; '.join(problems)}")


def _signed(trail: _Trail, check: str, token: str, ring: KeyRing, what: str) -> Verified:
    try:
        return verify(token, ring)
    except SignatureError as exc:
        raise trail.refuse(check, ResponseCode.BSIG, f"{what}: {exc}") from None
    except PayloadError as exc:
        raise trail.refuse(check, ResponseCode.BENV, f"{what}: {exc}") from None


def last_checksum_of(body: Any) -> str | None:
    """The last chain entry's checksum, if the body has a chain of strings at all: a signed
    answer is about that entry, and there is nothing to sign an answer about without it."""
    chain = body.get("envelopeTransferChain") if isinstance(body, Mapping) else None
    if isinstance(chain, list) and chain and isinstance(chain[-1], str):
        return signed_content_checksum(chain[-1])
    return None


def inspect_envelope(
    body: Any, platform: str, ring: KeyRing, directory: PartyDirectory, *, receiving: bool = True
) -> Judgement:
    """Everything about an ``EblEnvelope`` that does not depend on this platform's history.
    ``receiving=False`` (a verifier's question, not a receipt) leaves out the ``recipient``
    check: whether the envelope is addressed to this platform."""
    trail = _Trail(ENVELOPE_CHECKS)
    last = last_checksum_of(body)
    try:
        inspected = _inspect(trail, body, platform, ring, directory, receiving)
    except _Refused as refused:
        return Judgement(refused.code, refused.reason, tuple(trail.checks), last)
    return Judgement(None, "the envelope is sound", tuple(trail.checks), last, inspected)


def _inspect(
    trail: _Trail,
    body: Any,
    platform: str,
    ring: KeyRing,
    directory: PartyDirectory,
    receiving: bool = True,
) -> Inspected:
    _schema(trail, "envelope", "EblEnvelope", body, "the envelope")
    td: dict[str, Any] = body["transportDocument"]
    chain = tuple(body["envelopeTransferChain"])
    trail.passed("envelope", f"an EblEnvelope with {len(chain)} chain entries")

    signed_manifest = _signed(
        trail, "manifest-signature", body["envelopeManifestSignedContent"], ring, "the manifest"
    )
    trail.passed(
        "manifest-signature", f"signed by {signed_manifest.platform} ({signed_manifest.kid})"
    )
    _schema(trail, "manifest", "EnvelopeManifest", signed_manifest.payload, "the manifest")
    manifest = EnvelopeManifest.model_validate(signed_manifest.payload)
    trail.passed("manifest", "an EnvelopeManifest")

    verified = []
    for i, token in enumerate(chain):
        one = _signed(trail, "chain-signatures", token, ring, f"chain entry {i}")
        claimed = one.payload.get("eblPlatform")
        if claimed != one.platform:
            raise trail.refuse(
                "chain-signatures",
                ResponseCode.BSIG,
                f"chain entry {i} is for platform {claimed!r} but signed with a "
                f"{one.platform} key ({one.kid})",
            )
        verified.append(one)
    sender = verified[-1].platform
    if signed_manifest.platform != sender:
        raise trail.refuse(
            "chain-signatures",
            ResponseCode.BSIG,
            f"the manifest is signed by {signed_manifest.platform}, the last entry by {sender}",
        )
    trail.passed("chain-signatures", f"{len(chain)} entries, each signed by its platform")

    entries = []
    for i, one in enumerate(verified):
        _schema(trail, "chain-entries", "EnvelopeTransferChainEntry", one.payload, f"entry {i}")
        entries.append(TransferChainEntry.model_validate(one.payload))
    trail.passed("chain-entries", "every entry is an EnvelopeTransferChainEntry")

    td_checksum = transport_document_checksum(td)
    if manifest.transportDocumentChecksum != td_checksum:
        raise trail.refuse(
            "transport-document-checksum",
            ResponseCode.BENV,
            f"the manifest's transportDocumentChecksum is not the SHA-256 of the RFC 8785 "
            f"transport document ({td_checksum})",
        )
    for i, entry in enumerate(entries):
        if entry.transportDocumentChecksum != td_checksum:
            raise trail.refuse(
                "transport-document-checksum",
                ResponseCode.BENV,
                f"entry {i} is about another transport document "
                f"({entry.transportDocumentChecksum})",
            )
    trail.passed("transport-document-checksum", td_checksum)

    checksums = tuple(signed_content_checksum(token) for token in chain)
    if manifest.lastEnvelopeTransferChainEntrySignedContentChecksum != checksums[-1]:
        raise trail.refuse(
            "chain-links",
            ResponseCode.BENV,
            "the manifest's lastEnvelopeTransferChainEntrySignedContentChecksum is not the "
            "last chain entry's",
        )
    for i, entry in enumerate(entries):
        previous = entry.previousEnvelopeTransferChainEntrySignedContentChecksum
        expected = checksums[i - 1] if i else None
        if previous != expected:
            rule = (
                "the first entry has no previous-entry checksum"
                if i == 0
                else f"entry {i}'s previous-entry checksum is not entry {i - 1}'s"
            )
            raise trail.refuse("chain-links", ResponseCode.BENV, rule)
    trail.passed("chain-links", f"{len(chain)} entries linked, the last one in the manifest")

    issuance = _issuance(trail, entries, td_checksum, ring, manifest)
    trail.passed("issuance-manifest", issuance)

    try:
        facts = walk(entries)
    except ChainError as exc:
        raise trail.refuse("transactions", ResponseCode.BENV, str(exc)) from None
    trail.passed(
        "transactions", f"{sum(len(e.transactions) for e in entries)} transactions in order"
    )

    account = ""
    if receiving:
        account = _recipient(trail, facts, sender, platform, directory)
        trail.passed("recipient", f"{facts.last.actionCode} to account {account} on {platform}")

    checksums_listed = [d.documentChecksum for d in manifest.documents()]
    if len(set(checksums_listed)) != len(checksums_listed):
        raise trail.refuse(
            "additional-documents", ResponseCode.BENV, "the manifest lists a document twice"
        )
    trail.passed("additional-documents", f"{len(checksums_listed)} declared")

    try:
        validate_document(DocumentKind.EBL, td)
    except InvalidDocumentError as exc:
        first = exc.errors[0]
        raise trail.refuse(
            "transport-document",
            ResponseCode.BENV,
            f"the transport document breaks {len(exc.errors)} rule(s), first {first}",
        ) from None
    trail.passed("transport-document", "valid DCSA eBL 3.0.3 TransportDocument")

    return Inspected(
        transport_document=td,
        td_checksum=td_checksum,
        manifest=manifest,
        chain=chain,
        entries=tuple(entries),
        checksums=checksums,
        facts=facts,
        recipient_account=account,
        last_payload_checksum=sha256_hex(payload_bytes(chain[-1])),
    )


def _issuance(
    trail: _Trail,
    entries: Sequence[TransferChainEntry],
    td_checksum: str,
    ring: KeyRing,
    manifest: EnvelopeManifest,
) -> str:
    first = entries[0]
    if first.issuanceManifestSignedContent is None:
        raise trail.refuse(
            "issuance-manifest",
            ResponseCode.BENV,
            "the first entry carries no issuanceManifestSignedContent (the carrier's)",
        )
    if any(e.controlTrackingRegistry is not None for e in entries):
        # DCSA: transfers not recorded in the named registry are invalid. This platform does
        # not consult one, so it cannot accept a registry-guarded eBL.
        raise trail.refuse(
            "issuance-manifest",
            ResponseCode.BENV,
            "the eBL is guarded by a control tracking registry, which this platform does not "
            "consult",
        )
    if any(e.issuanceManifestSignedContent is not None for e in entries[1:]):
        raise trail.refuse(
            "issuance-manifest", ResponseCode.BENV, "only the first entry has an issuance manifest"
        )
    signed = _signed(
        trail, "issuance-manifest", first.issuanceManifestSignedContent, ring, "issuance manifest"
    )
    if signed.platform != first.eblPlatform:
        raise trail.refuse(
            "issuance-manifest",
            ResponseCode.BSIG,
            f"the issuance manifest is signed by {signed.platform}, not by the carrier's "
            f"platform {first.eblPlatform}",
        )
    _schema(trail, "issuance-manifest", "IssuanceManifest", signed.payload, "issuance manifest")
    issued = IssuanceManifest.model_validate(signed.payload)
    if issued.documentChecksum != td_checksum:
        raise trail.refuse(
            "issuance-manifest",
            ResponseCode.BENV,
            "the carrier issued another transport document (documentChecksum differs)",
        )
    visual = manifest.eBLVisualisationByCarrier
    if issued.eBLVisualisationByCarrierChecksum is not None and (
        visual is None or visual.documentChecksum != issued.eBLVisualisationByCarrierChecksum
    ):
        raise trail.refuse(
            "issuance-manifest",
            ResponseCode.BENV,
            "the carrier's visualisation of the eBL travels with every transfer, unchanged",
        )
    return f"issued by the carrier's platform {signed.platform} for this transport document"


def _recipient(
    trail: _Trail, facts: ChainFacts, sender: str, platform: str, directory: PartyDirectory
) -> str:
    last = facts.last
    if sender == platform:
        raise trail.refuse(
            "recipient", ResponseCode.BENV, "the last entry is this platform's own: not a transfer"
        )
    if ActionCode(last.actionCode) not in RECEIVABLE:
        raise trail.refuse(
            "recipient",
            ResponseCode.BENV,
            f"the envelope ends with {last.actionCode}, which passes nothing to this platform "
            f"(accepted: {', '.join(sorted(c.value for c in RECEIVABLE))})",
        )
    recipient = last.recipient
    if recipient is None:
        raise trail.refuse("recipient", ResponseCode.BENV, "the last transaction names no one")
    if recipient.eblPlatform != platform:
        raise trail.refuse(
            "recipient",
            ResponseCode.BENV,
            f"the envelope is for platform {recipient.eblPlatform}, not this one ({platform})",
        )
    found = {
        account.id
        for code in recipient.identifyingCodes
        if (account := directory.find(code)) is not None
    }
    if not found:
        raise trail.refuse(
            "recipient", ResponseCode.BENV, f"no account on {platform} is {recipient.describe()}"
        )
    if len(found) > 1:
        raise trail.refuse(
            "recipient",
            ResponseCode.BENV,
            f"the recipient's codes name {len(found)} different accounts on {platform}",
        )
    return found.pop()


# --- history ------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What this platform knows of one eBL before the envelope arrived."""

    known: tuple[str, ...] = ()  # checksums of the chain entries it knows, in order
    accepted: Mapping[str, str] = field(
        default_factory=dict
    )  # accepted last entry's checksum → entry
    accepted_payloads: Mapping[str, str] = field(default_factory=dict)  # its payload's → entry
    own: frozenset[str] = frozenset()  # checksums of the entries this platform signed
    control: LocalControl = LocalControl.ABSENT


def judge_history(envelope: Inspected, history: History, platform: str) -> Judgement:
    """``DUPE`` for a transfer already accepted; ``DISE`` for a chain that contradicts what
    this platform knows or holds; otherwise nothing against it."""
    name = "history"
    last = envelope.last_entry_checksum
    chain, known = envelope.checksums, history.known
    if last in history.accepted:
        return _history(
            ResponseCode.DUPE, "this transfer was accepted before", history.accepted[last], last
        )
    resigned = history.accepted_payloads.get(envelope.last_payload_checksum)
    if resigned is not None and chain[:-1] == known[: len(chain) - 1]:
        return _history(
            ResponseCode.DUPE,
            "this transfer was accepted before (its last entry signed again)",
            resigned,
            last,
        )
    common = 0
    while common < min(len(chain), len(known)) and chain[common] == known[common]:
        common += 1
    if common < len(known):
        reason = (
            f"this platform knows {len(known)} entries; the envelope stops at {len(chain)}"
            if common == len(chain)
            else f"the chain departs from this platform's history at entry {common}"
        )
        return _history(ResponseCode.DISE, reason + ": a possible double spend", None, last)
    standing = {
        LocalControl.HELD: "a party on this platform controls this eBL",
        LocalControl.IN_FLIGHT: "this platform is transferring this eBL and has no answer yet",
        LocalControl.CLOSED: "this eBL was surrendered here",
    }.get(history.control)
    if standing is not None:
        return _history(ResponseCode.DISE, standing + ": a possible double spend", None, last)
    for i in range(len(known), len(chain)):
        if envelope.entries[i].eblPlatform == platform and chain[i] not in history.own:
            return _history(
                ResponseCode.DISE,
                f"entry {i} is in this platform's name but this platform never signed it",
                None,
                last,
            )
    return Judgement(
        None,
        f"extends this platform's {len(known)} known entries",
        (Check.passed(name, f"extends the {len(known)} known entries"),),
        last,
        envelope,
    )


def _history(code: ResponseCode, reason: str, duplicate_of: str | None, last: str) -> Judgement:
    status = Status.PASS if code is ResponseCode.DUPE else Status.FAIL
    check = Check("history", status, f"{code.value}: {reason}")
    return Judgement(code, reason, (check,), last, None, duplicate_of)


# --- additional documents -----------------------------------------------------------------


def judge_document(
    declared: Collection[DocumentMetadata], checksum: str, content: bytes
) -> Judgement:
    """An uploaded additional document: declared in the manifest, and the bytes match."""
    name = "additional-document"
    listed = next((d for d in declared if d.documentChecksum == checksum), None)
    if listed is None:
        reason = f"document {checksum} is not declared in the envelope manifest"
    elif document_checksum(content) != checksum:
        reason = f"the document's SHA-256 is {document_checksum(content)}, not {checksum}"
    elif len(content) != listed.size:
        reason = f"the document has {len(content)} bytes; the manifest says {listed.size}"
    else:
        return Judgement(None, "received", (Check.passed(name, f"{checksum} received"),))
    return Judgement(ResponseCode.INCD, reason, (Check.failed(name, f"INCD: {reason}"),))


def missing_documents(
    declared: Collection[DocumentMetadata], have: Callable[[str], bool]
) -> list[str]:
    """The declared documents not yet received, in manifest order."""
    return [d.documentChecksum for d in declared if not have(d.documentChecksum)]
