"""The receiving country's node takes in advance information (关铁通) and holds the
consignment on its own ledger.

Each country's node keeps its own ledger, so the route registered at the origin is not on
the next country's: without it that country's border events and its customs' release
decision would be refused. On arrival the node verifies the advance information, its signed
note against the origin's ledger (the issuing node's signed answer and inclusion proof,
``Node.verify`` with ``ask_issuer``), and only then records ``RAIL_IMPORT`` as its own
country's rail operator (else its customs), carrying the origin's signed note and that
evidence (``chaincode.rail.operations.import_route``). Nothing valid, nothing held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.lifecycle import Refusal
from chaincode.rail.consignment import RailOrigin, RailRoute
from chaincode.transactions import Op
from identity.checks import Check
from identity.roles import Role
from ledger.interface import Ledger, RailRecords, Receipt
from network.config import LedgerEngine
from network.home import Home
from network.rail.advance import AdvanceCheck, receive_advance_information
from network.verification import Verification

# The verification checks whose outcome is the origin-ledger evidence the import carries.
_EVIDENCE = ("issuer-node", "inclusion")
_HOLDER_ROLES = (Role.RAIL, Role.CUSTOMS)


class HoldingNode(Protocol):
    """What holding needs of a node (``network.node.Node`` has it; the node registers the
    handler at start-up, so this module does not import it)."""

    home: Home
    ledger: Ledger
    engine: LedgerEngine

    def submit(self, org_id: str, op: Op, **fields: Any) -> Receipt: ...

    def verify(self, data: bytes, ask_issuer: bool = False) -> Verification: ...


def holder(node: HoldingNode) -> str | None:
    """The organisation that holds arriving consignments on this node: its country's rail
    operator, else its customs (the first by id); None if it has neither."""
    country = node.home.country
    orgs = sorted(
        (o for o in node.home.organisations() if o.country == country), key=lambda o: o.id
    )
    for role in _HOLDER_ROLES:
        for org in orgs:
            if role in org.roles:
                return org.id
    return None


def _evidence(report: Verification) -> str:
    found = []
    for check in report.checks:
        name = str(getattr(check.name, "value", check.name))
        if name in _EVIDENCE:
            found.append(f"{name}: {check.reason}")
    return ("; ".join(found) or "verified against its issuer")[:2000]


def hold(node: HoldingNode, payload: dict[str, Any], report: Verification) -> Check[str]:
    """Record ``RAIL_IMPORT`` for verified advance information (``report``: its note's
    verification, whose signer is the origin's issuer of record); the ``held`` check."""
    ledger = node.ledger
    if not isinstance(ledger, RailRecords):
        return Check.failed("held", f"this node's {node.engine.value} ledger keeps no rail records")
    doc = str(payload.get("consignment"))
    if ledger.rail_route(doc) is not None:
        return Check.passed("held", f"consignment {doc} is on this ledger already")
    org = holder(node)
    if org is None:
        return Check.failed("held", "this node has no rail operator or customs to hold it")
    signer, country = report.facts.issuer, report.facts.issuer_country
    if signer is None or country is None or signer != payload.get("issuer"):
        return Check.failed(
            "held", f"the note is signed by {signer}, not by the issuer {payload.get('issuer')}"
        )
    route = RailRoute.model_validate(payload.get("route"))  # checked by then
    origin = RailOrigin(
        country=country,
        issuer=signer,
        document=str(payload.get("document")),
        evidence=_evidence(report),
    )
    try:
        receipt = node.submit(org, Op.RAIL_IMPORT, doc=doc, route=route, origin=origin)
    except Refusal as exc:
        return Check.failed("held", f"not held: {exc}")
    return Check.passed("held", f"held on this ledger by {org} (entry {receipt.index})")


def holding_handler(node: HoldingNode) -> Callable[[bytes], tuple[str, dict[str, Any]]]:
    """The node's inbox handler for ``ADVANCE_INFORMATION``: the checks of
    ``receive_advance_information`` (the note verified with the issuing node's answer), then
    ``held``; VALID only if all passed."""

    def handle(data: bytes) -> tuple[str, dict[str, Any]]:
        reports: list[Verification] = []

        def verify(document: bytes) -> Verification:
            report = node.verify(document, ask_issuer=True)
            reports.append(report)
            return report

        check = receive_advance_information(data, verify)
        if check.valid and reports:
            try:
                payload = parse_json(data)
            except CanonicalizationError:  # pragma: no cover (parsed by the checks)
                payload = {}
            held = hold(node, payload if isinstance(payload, dict) else {}, reports[-1])
        else:
            held = Check.not_checked("held", "the advance information did not verify")
        result = AdvanceCheck((*check.checks, held))
        return ("VALID" if result.valid else "INVALID"), result.to_json()

    return handle


__all__ = ["hold", "holder", "holding_handler"]
