"""The contract's custom errors as the chaincode's refusals, so that a transaction the
contract refuses (after our own checks passed, in a race or on estimation) reads exactly as
the embedded engine's refusal of it. Addresses in the errors are named through ``org``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op, Transaction
from identity.roles import Role
from ledger.evm.chain import TxError
from ledger.evm.codes import STATE
from ledger.evm.text import container_text, country_text, doc_text, when


def refusal(
    error: TxError, tx: Transaction | dict[str, Any], org: Callable[[str], str | None]
) -> Refusal:
    """The chaincode's refusal for the contract's custom error."""
    op = Op(tx.op if isinstance(tx, Transaction) else tx["op"])
    name, args = error.error, error.error_args
    conflict, invalid, forbidden = (
        RefusalKind.CONFLICT,
        RefusalKind.INVALID,
        RefusalKind.FORBIDDEN,
    )
    state_text = {
        "AlreadyAmended": "already amended (state AMENDED)",
        "AlreadyReplaced": "already replaced (state REPLACED)",
        "AlreadyRevoked": "already revoked (state REVOKED)",
        "Voided": "voided (state VOIDED)",
    }
    if name == "NotPossessor":
        return Refusal(
            conflict, f"not the current possessor (possessor: {org(args[0])}, state ISSUED)"
        )
    if name in state_text:
        return Refusal(conflict, state_text[name])
    if name in ("SurrenderPending", "AlreadySurrendered"):
        state = STATE[int(args[0])]
        text = "surrender for " + ("delivery" if "DELIVERY" in str(state) else "amendment")
        lead = f"{text} pending" if name == "SurrenderPending" else "already surrendered"
        return Refusal(conflict, f"{lead} (state {state})")
    if name == "AlreadyOnLedger":
        return Refusal(conflict, f"document {doc_text(args[0])} is already on the ledger")
    if name == "NotOnLedger":
        return Refusal(RefusalKind.NOT_FOUND, f"document {doc_text(args[0])} is not on the ledger")
    if name == "UnknownOrganisation":
        return Refusal(invalid, f"unknown organisation {org(args[0])}")
    if name == "RoleRequired":
        return Refusal(forbidden, f"role {_role_names(int(args[0]))} required")
    if name == "WrongCountry":
        c, mine = country_text(args[0]), country_text(args[1])
        return Refusal(
            forbidden,
            f"a document issued in {c} must be issued by an organisation of {c}, not {mine}",
        )
    if name == "NotCarrier":
        texts = {
            Op.RELEASE: "only the issuing carrier releases containers",
            Op.AMEND: "only the issuing carrier may amend an eBL",
        }
        return Refusal(forbidden, texts.get(op, "only the issuing carrier answers a surrender"))
    if name == "NoSurrenderPending":
        return Refusal(conflict, f"no surrender is pending (state {STATE[int(args[0])]})")
    if name == "NotSurrenderedForDelivery":
        return Refusal(
            conflict,
            "containers are released only after surrender for delivery is accepted "
            f"(state {STATE[int(args[0])]})",
        )
    if name == "NotSurrenderedForAmendment":
        return Refusal(
            conflict,
            "an eBL is amended only after its surrender for amendment is accepted "
            f"(state {STATE[int(args[0])]})",
        )
    if name == "AlreadyReleased":
        return Refusal(conflict, f"container {container_text(args[0])} is already released")
    if name == "NoPickupRight":
        return Refusal(
            RefusalKind.NOT_FOUND, f"no pickup right for container {container_text(args[0])}"
        )
    if name == "AlreadyPickedUp":
        return Refusal(
            conflict,
            f"container {container_text(args[0])} already picked up at "
            f"{when(int(args[1])).isoformat()}",
        )
    if name == "RightExpired":
        return Refusal(conflict, f"the pickup right expired at {when(int(args[0])).isoformat()}")
    if name == "NotRightHolder":
        if op is Op.PICKUP:
            to = tx.to if isinstance(tx, Transaction) else tx.get("to")
            return Refusal(forbidden, f"{to} does not hold the pickup right; {org(args[0])} does")
        return Refusal(forbidden, "not the holder of the pickup right")
    simple = {
        "ReasonRequired": (invalid, f"{op.value} needs a reason"),
        "SelfTransfer": (invalid, "a transfer to oneself changes nothing"),
        "NotToOrder": (conflict, "a straight bill of lading cannot be endorsed"),
        "EblNotRevocable": (
            invalid,
            "an eBL is not revoked; it is surrendered for amendment and voided",
        ),
        "OnlyPhytoReplaced": (
            invalid,
            "only a quarantine certificate is replaced; amend other documents",
        ),
        "EblNotBatchable": (invalid, "an eBL is issued on its own, never in a batch"),
        "NoContainers": (invalid, "RELEASE needs containers"),
    }
    if name in simple:
        kind, text = simple[name]
        return Refusal(kind, text)
    if name == "CountryMismatch":
        return Refusal(
            invalid,
            f"the new document must be issued in {country_text(args[0])}, as the old one",
        )
    return Refusal(conflict, f"the contract refused it: {error}")


def _role_names(mask: int) -> str:
    return " or ".join(r.value for i, r in enumerate(Role) if mask & (1 << i))
