"""An OpenAttestation v2 document as a format of the verification pipeline (``tdx verify``,
``POST /v1/verify``).

A tdx export carries the tdx document (``data.document``), its kind and the issuer's tdx
signature (``data.tdx``): the pipeline judges those as it judges the signed original
(signature, integrity, rules, chain, role, revocation, the ledger's record). OpenAttestation's
own checks run too, in its fragment names, and each must pass: ``OpenAttestationHash``
(targetHash and proof), the status on the DocumentStore or token registry (read at the RPC
URL of ``HOME/oa.json``), and the DNS-TXT identity proof (the TXT records the home knows).
A document without a tdx signature (issued by other TradeTrust software) fails the signature
step, saying so: ``tdx oa verify`` judges it by OpenAttestation's checks alone. A document
with hidden fields (``privacy.obfuscatedData``) cannot be judged by its tdx signature, which
covers the whole document: the steps that need it are ``not_checked``, saying why, and do not
count; the verdict rests on OpenAttestation's checks and on the ledger's record of the tdx
document that this node exported under the document's targetHash (``HOME/oa.db``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chaincode.documents.registry import DocumentKind
from chaincode.records import DocumentRecord
from identity.checks import Check, CheckName
from identity.checks import Status as CheckStatus
from network.home import Home
from network.verification.formats import (
    TDX_ENVELOPE,
    FormatError,
    Input,
    OpenedSignature,
    Presented,
    SignatureError,
    Undisclosed,
)

if TYPE_CHECKING:
    from interop.oa import Verification as OaVerification
    from interop.oa.document import Wrapped

FORMAT = "openattestation/2.0"
SCHEMA_V2 = "https://schema.openattestation.com/2.0/schema.json"
_NAMES = {c.value: c for c in CheckName}


def own_checks(result: OaVerification) -> tuple[Check[CheckName], ...]:
    """OpenAttestation's fragments as checks: VALID passes, INVALID and ERROR fail; a
    SKIPPED fragment is left out unless its whole kind was skipped (then nothing proved it).
    ``TdxDocumentDigest`` is left out: the pipeline's integrity step is tdx's own."""
    from interop.oa import Status

    kinds_valid = {f.type for f in result.fragments if f.status is Status.VALID}
    out: list[Check[CheckName]] = []
    for fragment in result.fragments:
        name = _NAMES.get(fragment.name)
        if name is None:
            continue
        if fragment.status is Status.VALID:
            out.append(Check.passed(name, fragment.reason))
        elif fragment.status is not Status.SKIPPED or fragment.type not in kinds_valid:
            out.append(Check.failed(name, f"{fragment.status.value}: {fragment.reason}"))
    return tuple(out)


class OaFormat:
    """OpenAttestation v2 wrapped documents, judged with the TradeTrust settings of ``home``
    (read at each verification: ``tdx oa deploy-store`` may write them while a node runs).
    interop.oa (web3's codecs) is imported only when such a document arrives."""

    name = FORMAT

    def __init__(
        self, home: Home, record_of: Callable[[str], DocumentRecord | None] | None = None
    ) -> None:
        """``record_of(digest)``: the node's ledger record of a digest (who anchored it, as
        what kind), for a document whose hidden fields leave its tdx signature unjudged."""
        self.home = home
        self.record_of = record_of

    def read(self, data: Input) -> Presented | None:
        value = data.json()
        if not isinstance(value, dict) or value.get("version") != SCHEMA_V2:
            return None
        from interop.oa.document import parse_wrapped
        from interop.oa.errors import OaError
        from interop.oa.salt import unsalt_data

        try:
            wrapped = parse_wrapped(value)
        except OaError as exc:
            raise FormatError(str(exc)) from exc
        raw = unsalt_data(wrapped.data.get("tdx"))
        tdx = raw if isinstance(raw, dict) else {}
        hidden, record = self._undisclosed(wrapped) if wrapped.obfuscated else (None, None)
        named = tdx.get("kind")
        if not isinstance(named, str) and record is not None:
            named = record.kind.value  # hidden: the kind of the document this node exported
        if not isinstance(named, str):
            raise FormatError("data.tdx.kind: missing: not a tdx export (tdx oa verify judges it)")
        try:
            kind = DocumentKind(named)
        except ValueError:
            raise FormatError(f"data.tdx.kind: {named!r} is not a tdx kind") from None
        content = unsalt_data(wrapped.data.get("document", {}))
        if not isinstance(content, dict):
            raise FormatError("data.document: must be an object")
        signature = tdx.get("signature")
        return Presented(FORMAT, kind, content, signature, self._oa_checks(value), hidden)

    def _undisclosed(self, wrapped: Wrapped) -> tuple[Undisclosed, DocumentRecord | None]:
        """What ties a document with hidden fields to the ledger: this node's record of the
        export under its targetHash (the merkleRoot and DocumentStore must agree)."""
        from interop.oa.document import issuers_of
        from interop.oa.errors import OaError
        from network.platforms.oa_exports import BOOK_FILE, ExportBook

        reason = (
            f"{len(wrapped.obfuscated)} field(s) hidden by selective disclosure "
            "(privacy.obfuscatedData): the tdx signature covers the full document, so this "
            "cannot be checked; the verdict rests on the OpenAttestation checks and the "
            "ledger's record of the exported document"
        )
        target = "0x" + wrapped.target_hash.lower()
        path = self.home.path / BOOK_FILE
        found = None
        if path.is_file():
            with ExportBook(path) as book:
                found = book.export_of(wrapped.target_hash)
        if found is None:
            why = (
                f"this node did not export targetHash {target}: with fields hidden only the "
                "exporting node can tie it to a tdx document"
            )
            return Undisclosed(reason, why), None
        doc, root, store = found
        try:
            stores = {i.address.lower() for i in issuers_of(wrapped.data) if i.address}
        except OaError:
            stores = set()
        if root.lower().removeprefix("0x") != wrapped.merkle_root.hex() or stores != {
            store.lower()
        }:
            why = (
                f"targetHash {target} was exported by this node under merkleRoot 0x{root} on "
                f"{store}, not as presented"
            )
            return Undisclosed(reason, why), None
        tie = f"exported by this node as targetHash {target} (merkleRoot 0x{root}) from {doc}"
        record = self.record_of(doc) if self.record_of is not None else None
        return Undisclosed(reason, tie, doc, record.issuer if record else None), record

    def _oa_checks(self, document: dict[str, Any]) -> tuple[Check[CheckName], ...]:
        from interop.oa import verify_documents
        from network.platforms import oa_dns
        from network.platforms.oa_settings import OaSettingsError, load

        try:
            settings = load(self.home)
        except OaSettingsError as exc:
            (result,) = verify_documents([document], None, oa_dns.resolver(self.home))
            return tuple(
                c if c.status is CheckStatus.PASS else Check.failed(c.name, f"{c.reason} ({exc})")
                for c in own_checks(result)
            )
        resolver = oa_dns.resolver(self.home, own=settings.resolver())
        (result,) = verify_documents([document], settings.rpc, resolver)
        return own_checks(result)

    def open_signature(self, presented: Presented, algorithms: frozenset[str]) -> OpenedSignature:
        if presented.signature is None:
            raise SignatureError(
                "data.tdx.signature: none: an OpenAttestation document issued outside tdx "
                "carries no tdx signature; its OpenAttestation checks are in this report, "
                "and tdx oa verify judges it by those alone"
            )
        # The same compact JWS (x5c) as the tdx envelope's, over {kind, digest, signedAt}.
        return TDX_ENVELOPE.open_signature(presented, algorithms)


__all__ = ["FORMAT", "SCHEMA_V2", "OaFormat", "own_checks"]
