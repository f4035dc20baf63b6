"""The contract's custom errors as the chaincode's refusals, so that a transaction the
contract refuses (after our own checks passed, in a race or on estimation) reads exactly as
the embedded engine's refusal of it. Addresses in the errors are named through ``org``;
what an error does not carry (the container of a pickup, a batch's first digest) comes
from the transaction. Every error of the contract has its text here (a test holds the ABI
to it); governance errors, which no chaincode transaction meets, read as the contract's
rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaincode.authority import issue_refusal
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op, Transaction
from identity.roles import Role
from ledger.evm.chain import TxError
from ledger.evm.codes import AWAY_OF, CARRIER_ELSEWHERE, STATE, SURRENDERED_ELSEWHERE
from ledger.evm.text import KIND_OF, container_text, country_text, doc_text, when

INVALID, FORBIDDEN, CONFLICT, NOT_FOUND = (
    RefusalKind.INVALID,
    RefusalKind.FORBIDDEN,
    RefusalKind.CONFLICT,
    RefusalKind.NOT_FOUND,
)
NO_KIND = 255

# Errors whose text needs nothing but the operation.
FIXED: dict[str, tuple[RefusalKind, str]] = {
    "SelfTransfer": (INVALID, "a transfer to oneself changes nothing"),
    "NotToOrder": (CONFLICT, "a straight bill of lading cannot be endorsed"),
    "EblNotRevocable": (
        INVALID,
        "an eBL is not revoked; it is surrendered for amendment and voided",
    ),
    "OnlyPhytoReplaced": (
        INVALID,
        "only a quarantine certificate is replaced; amend other documents",
    ),
    "EblNotBatchable": (INVALID, "an eBL is issued on its own, never in a batch"),
    "EblNeedsEblFunction": (INVALID, "an eBL is issued and amended by the eBL functions"),
    "EmptyBatch": (INVALID, "ANCHOR_BATCH needs digests"),
    "NoContainers": (INVALID, "RELEASE needs containers"),
    "SupersedeItself": (INVALID, "a document cannot supersede itself"),
    "ExpiryNotAfterRelease": (INVALID, "a pickup right must expire after its release"),
    "TerminalOrCountry": (INVALID, "RELEASE names a terminal or a country, not both"),
    "HolderRequired": (INVALID, "PICKUP needs to (the holder presenting itself at the gate)"),
    "ContainerListMismatch": (
        CONFLICT,
        "the containers given for the eBL are not the list it was issued with",
    ),
    "AlreadyAmended": (CONFLICT, "already amended (state AMENDED)"),
    "AlreadyReplaced": (CONFLICT, "already replaced (state REPLACED)"),
    "AlreadyRevoked": (CONFLICT, "already revoked (state REVOKED)"),
    "Voided": (CONFLICT, "voided (state VOIDED)"),
    # Governance: the contract's own rules for countries and their organisations.
    "FoundersMismatch": (INVALID, "the founding countries and authorities do not pair up"),
    "AlreadyVoted": (CONFLICT, "this country already voted for it in this round"),
    "ZeroAccount": (INVALID, "the zero address is no account"),
    "CertificateRequired": (INVALID, "an organisation is registered with its certificate"),
}


def refusal(
    error: TxError, tx: Transaction | dict[str, Any], org: Callable[[str], str | None]
) -> Refusal:
    """The chaincode's refusal for the contract's custom error."""
    t = tx if isinstance(tx, Transaction) else Transaction.model_validate(tx, strict=False)
    name, args = error.error or "", error.error_args
    if name in FIXED:
        kind, text = FIXED[name]
        return Refusal(kind, text)
    if name == "ReasonRequired":
        return Refusal(INVALID, f"{t.op.value} needs a reason")
    texts = _texts(t, args, org)
    if name in texts:
        kind, text = texts[name]()
        return Refusal(kind, text)
    return Refusal(CONFLICT, f"the contract refused it: {error}")


def _texts(
    t: Transaction, args: tuple[Any, ...], org: Callable[[str], str | None]
) -> dict[str, Callable[[], tuple[RefusalKind, str]]]:
    """The texts of the errors with arguments, each built only when it is the one."""

    def who(address: Any) -> str:
        return org(str(address)) or str(address)

    def state(i: int = 0) -> str:
        return str(STATE[int(args[i])])

    def surrender() -> tuple[RefusalKind, str]:
        text = "surrender for " + ("delivery" if "DELIVERY" in state() else "amendment")
        return CONFLICT, f"{text} pending (state {state()})"

    def role() -> tuple[RefusalKind, str]:
        required, held, kind = int(args[0]), int(args[1]), int(args[2])
        if kind == NO_KIND:
            return FORBIDDEN, f"role {_role_names(required, ' or ')} required"
        text = issue_refusal(KIND_OF[kind], _roles(held), "", None)
        return FORBIDDEN, str(text)

    def country() -> tuple[RefusalKind, str]:
        c, mine = str(country_text(args[0])), str(country_text(args[1]))
        kind = KIND_OF[int(args[2])]
        return FORBIDDEN, str(issue_refusal(kind, _roles((1 << 16) - 1), mine, c))

    def not_carrier() -> tuple[RefusalKind, str]:
        texts = {
            Op.RELEASE: "only the issuing carrier releases containers",
            Op.AMEND: "only the issuing carrier may amend an eBL",
        }
        return FORBIDDEN, texts.get(t.op, "only the issuing carrier answers a surrender")

    def not_holder() -> tuple[RefusalKind, str]:
        if t.op is Op.PICKUP:
            return FORBIDDEN, f"{t.to} does not hold the pickup right; {who(args[0])} does"
        return FORBIDDEN, "not the holder of the pickup right"

    def batch_exists() -> tuple[RefusalKind, str]:
        first = t.digests[0] if t.digests else doc_text(args[0])
        return CONFLICT, f"document {first} is already on the ledger"

    container = container_text
    return {
        "NotPossessor": lambda: (
            CONFLICT,
            f"not the current possessor (possessor: {who(args[0])}, state ISSUED)",
        ),
        "SurrenderPending": surrender,
        "AlreadySurrendered": lambda: (CONFLICT, f"already surrendered (state {state()})"),
        "AlreadyOnLedger": lambda: (
            CONFLICT,
            f"document {doc_text(args[0])} is already on the ledger",
        ),
        "NotOnLedger": lambda: (NOT_FOUND, f"document {doc_text(args[0])} is not on the ledger"),
        # A batch the sender did not anchor, or a proof that does not hold: for the contract
        # the document is not the sender's in that batch.
        "UnknownBatch": lambda: (NOT_FOUND, f"document {t.doc} is not on the ledger"),
        "InvalidProof": lambda: (NOT_FOUND, f"document {t.doc} is not on the ledger"),
        "BatchExists": batch_exists,
        "NotAnEbl": lambda: (
            INVALID,
            f"{t.op.value} applies to an eBL, not a {KIND_OF[int(args[0])].value}",
        ),
        "InvalidKind": lambda: (INVALID, f"unknown document kind {int(args[0])}"),
        "UnknownOrganisation": lambda: (INVALID, f"unknown organisation {who(args[0])}"),
        "RoleRequired": role,
        "WrongCountry": country,
        "CountryMismatch": lambda: (
            INVALID,
            f"the new document must be issued in {country_text(args[0])}, as the old one",
        ),
        "NotCarrier": not_carrier,
        "NoSurrenderPending": lambda: (CONFLICT, f"no surrender is pending (state {state()})"),
        "NotSurrenderedForDelivery": lambda: (
            CONFLICT,
            "containers are released only after surrender for delivery is accepted "
            f"(state {state()})",
        ),
        "NotSurrenderedForAmendment": lambda: (
            CONFLICT,
            "an eBL is amended only after its surrender for amendment is accepted "
            f"(state {state()})",
        ),
        "ContainerNotOnEbl": lambda: (
            INVALID,
            f"container {container(args[0])} is not on this eBL",
        ),
        "AlreadyReleased": lambda: (
            CONFLICT,
            f"container {container(args[0])} is already released",
        ),
        "LiveRightUnderOtherEbl": lambda: (
            CONFLICT,
            f"container {container(args[0])} has a live pickup right under eBL {doc_text(args[1])}",
        ),
        "ReleasedBefore": lambda: (
            CONFLICT,
            f"container {container(args[0])} was already released under this eBL",
        ),
        "NotATerminal": lambda: (INVALID, f"{who(args[0])} does not hold the terminal role"),
        "NoPickupRight": lambda: (
            NOT_FOUND,
            f"no pickup right for container {container(args[0])}",
        ),
        "AlreadyPickedUp": lambda: (
            CONFLICT,
            f"container {container(args[0])} already picked up at {when(int(args[1])).isoformat()}",
        ),
        "RightExpired": lambda: (
            CONFLICT,
            f"the pickup right expired at {when(int(args[0])).isoformat()}",
        ),
        "ReleasedUnderOtherEbl": lambda: (
            INVALID,
            f"container {t.container} was released under another eBL",
        ),
        "WrongTerminal": lambda: (
            FORBIDDEN,
            f"the pickup right is for terminal {who(args[0])}, not {t.actor}",
        ),
        "WrongPickupCountry": lambda: (
            FORBIDDEN,
            f"the pickup right is for a terminal in {country_text(args[0])}, "
            f"not in {country_text(args[1])}",
        ),
        "NotRightHolder": not_holder,
        # Exclusive control across platforms: the chaincode's own text, on the state after a
        # race, comes first (the engine runs it again); these say what the contract saw.
        "ControlElsewhere": lambda: (
            CONFLICT,
            f"control of eBL {t.doc} lives on another platform ({_control(int(args[0]))}): "
            "no control action here",
        ),
        "ControlRefused": lambda: (
            CONFLICT,
            f"{t.op.value} does not fit eBL {t.doc} as the chain has it (state "
            f"{STATE[(int(args[0]) >> 104) & 0xFF] or 'none'}, "
            f"{_control((int(args[0]) >> 200) & 0xFF)})",
        ),
        # Governance.
        "NotCountryAuthority": lambda: (
            FORBIDDEN,
            f"{who(args[0])} is not a member country's authority",
        ),
        "CountryAlreadyMember": lambda: (
            CONFLICT,
            f"{country_text(args[0])} is already a member",
        ),
        "AuthorityAlreadyMember": lambda: (
            CONFLICT,
            f"{who(args[0])} is already a member country's authority",
        ),
        "InvalidCountry": lambda: (
            INVALID,
            f"{bytes(args[0])!r} is not a member's ISO 3166 alpha-2 code",
        ),
        "InvalidRoles": lambda: (INVALID, f"role bits {int(args[0]):#x} name no known role"),
        "NotYourOrganisation": lambda: (
            FORBIDDEN,
            f"the organisation belongs to {country_text(args[0])}",
        ),
        "ConsentRequired": lambda: (
            FORBIDDEN,
            f"{who(args[0])} has not signed its consent to this registration",
        ),
        "AccountRetired": lambda: (
            CONFLICT,
            f"{who(args[0])} was removed or rotated away from and is never registered again",
        ),
        "AccountInUse": lambda: (CONFLICT, f"{who(args[0])} is already an organisation's account"),
    }


def _control(byte: int) -> str:
    away = AWAY_OF[byte & 3]
    flags = [
        text
        for bit, text in ((CARRIER_ELSEWHERE, "carrier elsewhere"),
                          (SURRENDERED_ELSEWHERE, "surrendered from elsewhere"))
        if byte & bit
    ]  # fmt: skip
    return ", ".join([away.value if away else "here", *flags])


def _roles(mask: int) -> frozenset[Role]:
    return frozenset(r for i, r in enumerate(Role) if mask & (1 << i))


def _role_names(mask: int, joiner: str) -> str:
    return joiner.join(sorted(r.value for r in _roles(mask)))


__all__ = ["FIXED", "refusal"]
