"""Verifying a presented document, in one place: the steps in order (format, signature,
integrity, document, chain, role-for-type, revocation, anchored, status, inclusion) under an
explicit ``Policy``, with the ledger's evidence bound to the signer, into one frozen
``Verification`` (``identity.checks.Report`` of typed ``DocumentFacts``).

Offers ``Pipeline``, ``Policy``, ``Verification``, ``DocumentFacts``, ``ORDER``, and the
plug points of a new format: ``Format``, ``Input``, ``Presented``, ``OpenedSignature``,
``FormatError``, ``SignatureError``, ``Undisclosed`` (a document presented with hidden
fields; ``TDX_ENVELOPE`` is the first format).
"""

from network.verification.facts import DocumentFacts, Verification
from network.verification.formats import (
    TDX_ENVELOPE,
    Format,
    FormatError,
    Input,
    OpenedSignature,
    Presented,
    SignatureError,
    Undisclosed,
)
from network.verification.pipeline import ORDER, Pipeline, StepTimes
from network.verification.policy import Policy

__all__ = [
    "ORDER",
    "TDX_ENVELOPE",
    "DocumentFacts",
    "Format",
    "FormatError",
    "Input",
    "OpenedSignature",
    "Pipeline",
    "Policy",
    "Presented",
    "SignatureError",
    "StepTimes",
    "Undisclosed",
    "Verification",
]
