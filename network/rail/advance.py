"""Advance information (关铁通): a consignment goes ahead of its train to the next country's
node, when it is registered and whenever it leaves a border station.

The node pushes through an ``Outbox``: the narrow interface this package needs of the country
nodes' signed, durable outbox (``network.peers``, being built on the ``nodes`` branch), which
signs each push as the sending node (RFC 9421) and delivers it at least once. Until that
lands a node uses ``LocalOutbox``: on a single home every country's organisations share one
ledger, so nothing needs to travel; it keeps what would have gone out.

The payload carries the signed consignment note (the tdx envelope, as the issuer's node
stores it) and what the ledger holds of it (route and events), so the receiving node can
check it on arrival (``check_advance_information``): the note verifies against its issuer,
it is the consignment named, and the route is the note's own.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.documents.envelope import EnvelopeError, parse
from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from chaincode.rail.consignment import RailRoute, RouteRecord
from chaincode.rail.events import BorderEvent, RecordedEvent
from identity.checks import Check, Report, Status

# Letters, digits and "-": what the nodes' outbox accepts as a kind.
ADVANCE_INFORMATION = "rail-advance-information"
FORMAT = "tdx-rail-advance/1"
Reason = Literal["registered", "departed"]


class Outbox(Protocol):
    """Where a node puts what it pushes to another country's node: the signature of the
    nodes branch's ``network.peers.outbox.Outbox.push``, which that class satisfies as is."""

    def push(
        self, destination_country: str, kind: str, payload: bytes, key: str | None = None
    ) -> object:
        """Queue ``payload`` of ``kind`` for the node of ``destination_country``, durably and
        once per ``key``; the outbox signs it as this node and delivers it."""
        ...


@dataclass(frozen=True)
class Push:
    destination_country: str
    kind: str
    payload: Mapping[str, Any]
    key: str
    # What the outbox did: "queued" (or "duplicate") for another node, "local" when this
    # home is the destination country's node too.
    status: str = "local"


def encode(payload: Mapping[str, Any]) -> bytes:
    """The bytes pushed: canonical JSON (sorted keys, no spaces), UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class LocalOutbox:
    """A single-home node's outbox: nothing leaves the home; the last ``keep`` pushes are
    kept in memory (``pushed``), oldest first, to show what would have gone out."""

    def __init__(self, keep: int = 1000) -> None:
        self.pushed: collections.deque[Push] = collections.deque(maxlen=keep)

    def push(
        self, destination_country: str, kind: str, payload: bytes, key: str | None = None
    ) -> object:
        decoded = json.loads(payload)
        self.pushed.append(Push(destination_country, kind, decoded, key or ""))
        return None


def advance_information(
    route: RouteRecord,
    events: Sequence[RecordedEvent],
    document: bytes | None,
    reason: Reason,
    station: str,
) -> dict[str, Any]:
    """The payload pushed ahead of the train: why and from where, the consignment's route and
    events as the ledger holds them, and the signed note (None if this node has none)."""
    return {
        "format": FORMAT,
        "consignment": route.doc,
        "issuer": route.issuer,
        "reason": reason,
        "station": station,
        "route": route.route.model_dump(mode="json", exclude_defaults=True),
        "events": [
            {"by": r.by, "event": r.event.model_dump(mode="json", exclude_defaults=True)}
            for r in events
        ],
        **({"document": document.decode("utf-8")} if document is not None else {}),
    }


_CHECKS = ("format", "document", "consignment", "route", "events")


@dataclass(frozen=True)
class AdvanceCheck:
    """The receiving node's checks of advance information, in order: valid only if all
    passed."""

    checks: tuple[Check[str], ...]

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.status is Status.PASS for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "checks": [c.to_json() for c in self.checks]}


def receive_advance_information(
    data: bytes, verify: Callable[[bytes], Report[Any]]
) -> AdvanceCheck:
    """What the receiving node runs on arrival of pushed bytes (its inbox hands them here for
    kind ``ADVANCE_INFORMATION``): strict JSON (duplicate keys, NaN refused), then the checks
    of ``check_advance_information``."""
    try:
        payload = parse_json(data)
    except CanonicalizationError as exc:
        failed: Check[str] = Check.failed("format", f"not JSON: {exc}")
        rest: list[Check[str]] = [
            Check.not_checked(n, "an earlier check failed") for n in _CHECKS[1:]
        ]
        return AdvanceCheck((failed, *rest))
    if not isinstance(payload, dict):
        payload = {}
    return check_advance_information(payload, verify)


def arrival_handler(
    verify: Callable[[bytes], Report[Any]],
) -> Callable[[bytes], tuple[str, dict[str, Any]]]:
    """The receiving node's inbox handler for ``ADVANCE_INFORMATION`` (``Node.on_arrival``):
    the verdict (VALID or INVALID) and the checks, kept with the arrival."""

    def handle(payload: bytes) -> tuple[str, dict[str, Any]]:
        check = receive_advance_information(payload, verify)
        return ("VALID" if check.valid else "INVALID"), check.to_json()

    return handle


def check_advance_information(
    payload: Mapping[str, Any], verify: Callable[[bytes], Report[Any]]
) -> AdvanceCheck:
    """The receiving node's checks, each named, in order; fails closed. ``verify`` is the
    node's verification of a presented signed document (``Node.verify``)."""
    checks: list[Check[str]] = []

    def done() -> AdvanceCheck:
        ran = {c.name for c in checks}
        rest = [Check.not_checked(n, "an earlier check failed") for n in _CHECKS if n not in ran]
        return AdvanceCheck(tuple([*checks, *rest]))

    if payload.get("format") != FORMAT:
        checks.append(Check.failed("format", f"not {FORMAT}: {payload.get('format')!r}"))
        return done()
    checks.append(Check.passed("format", FORMAT))
    text = payload.get("document")
    if not isinstance(text, str):
        checks.append(Check.failed("document", "no signed consignment note came with it"))
        return done()
    report = verify(text.encode("utf-8"))
    if not report.valid:
        failed = "; ".join(c.reason for c in report.failures())
        checks.append(Check.failed("document", f"the signed note does not verify: {failed}"))
        return done()
    checks.append(Check.passed("document", "the signed note verifies against its issuer"))
    try:
        valid = validate_document(DocumentKind.RAIL, parse(text).document)
    except (EnvelopeError, InvalidDocumentError) as exc:
        checks.append(Check.failed("consignment", f"the note cannot be read: {exc}"))
        return done()
    if valid.digest != payload.get("consignment"):
        checks.append(
            Check.failed(
                "consignment", f"the note is {valid.digest}, not {payload.get('consignment')}"
            )
        )
        return done()
    checks.append(Check.passed("consignment", f"the note is consignment {valid.digest}"))
    assert isinstance(valid.model, RailConsignment)
    try:
        route = RailRoute.model_validate(payload.get("route"))
    except ValidationError as exc:
        checks.append(Check.failed("route", f"the route is malformed: {exc.errors()[0]['msg']}"))
        return done()
    if route != RailRoute.of(valid.model):
        checks.append(Check.failed("route", "the route is not the note's route"))
        return done()
    checks.append(Check.passed("route", "the route, wagons and seals are the note's"))
    try:
        for item in payload.get("events", []):
            BorderEvent.model_validate(item["event"])
    except (ValidationError, KeyError, TypeError) as exc:
        checks.append(Check.failed("events", f"an event is malformed: {exc}"))
        return done()
    checks.append(Check.passed("events", f"{len(payload.get('events', []))} event(s) so far"))
    return done()


__all__ = [
    "ADVANCE_INFORMATION",
    "AdvanceCheck",
    "LocalOutbox",
    "Outbox",
    "Push",
    "advance_information",
    "arrival_handler",
    "check_advance_information",
    "encode",
    "receive_advance_information",
]
