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
with hidden fields fails the document and integrity steps (the tdx signature covers the
whole document); ``tdx oa verify`` judges selective disclosure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaincode.documents.registry import DocumentKind
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
)

if TYPE_CHECKING:
    from interop.oa import Verification as OaVerification

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

    def __init__(self, home: Home) -> None:
        self.home = home

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
        tdx = unsalt_data(wrapped.data.get("tdx"))
        if not isinstance(tdx, dict) or not isinstance(tdx.get("kind"), str):
            raise FormatError("data.tdx.kind: missing: not a tdx export (tdx oa verify judges it)")
        try:
            kind = DocumentKind(tdx["kind"])
        except ValueError:
            raise FormatError(f"data.tdx.kind: {tdx['kind']!r} is not a tdx kind") from None
        content = unsalt_data(wrapped.data.get("document", {}))
        if not isinstance(content, dict):
            raise FormatError("data.document: must be an object")
        return Presented(FORMAT, kind, content, tdx.get("signature"), self._oa_checks(value))

    def _oa_checks(self, document: dict[str, Any]) -> tuple[Check[CheckName], ...]:
        from interop.oa import StaticDnsTxt, verify_documents
        from network.platforms.oa_settings import OaSettingsError, load

        try:
            settings = load(self.home)
        except OaSettingsError as exc:
            (result,) = verify_documents([document], None, StaticDnsTxt({}))
            return tuple(
                c if c.status is CheckStatus.PASS else Check.failed(c.name, f"{c.reason} ({exc})")
                for c in own_checks(result)
            )
        (result,) = verify_documents([document], settings.rpc, settings.resolver())
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
