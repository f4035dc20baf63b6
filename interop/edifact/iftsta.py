"""Border events out as IFTSTA (international multimodal status report).

One message per consignment; one CNI group per event, in ledger order: the status (STS),
its time in UTC (DTM+334, format 203), the station (LOC+175), the recording organisation
(NAD+ZZZ), and for seal checks and transshipments the units and seals concerned (EQD, SEL,
EQA). The interchange's preparation time and control reference are given by the caller, so
the same events always give the same bytes.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Sequence

from pydifact.exceptions import MissingImplementationWarning
from pydifact.segmentcollection import Message
from pydifact.segments import Segment

from chaincode.documents.rail import RailConsignment
from chaincode.rail.custody import apply_event, initial_state
from chaincode.rail.events import EventType, RecordedEvent, SealResult
from chaincode.rail.route import route_stations
from interop.edifact import codes
from interop.edifact.syntax import new_interchange


def _utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y%m%d%H%M")


def export_iftsta(
    consignment: RailConsignment,
    events: Sequence[RecordedEvent],
    *,
    sender: str,
    recipient: str,
    reference: str,
    prepared_at: datetime.datetime,
) -> str:
    """The IFTSTA interchange reporting ``events`` of ``consignment``."""
    stations = route_stations(consignment)
    message = Message("1", ["IFTSTA", "D", "16A", "UN"])
    message.add_segment(Segment("BGM", "23", reference, "9"))
    message.add_segment(Segment("DTM", ["137", _utc(prepared_at), "203"]))
    state = initial_state(consignment)
    for n, recorded in enumerate(events, start=1):
        event = recorded.event
        status = ["1", codes.EVENT_CODES[event.type]]
        if event.decision is not None:
            status.append(codes.OUTCOME_CODES[event.decision])
        message.add_segment(Segment("CNI", str(n), consignment.noteNumber))
        message.add_segment(Segment("STS", *status))
        message.add_segment(Segment("DTM", ["334", _utc(event.time), "203"]))
        station = stations.get(event.station)
        name = station.name if station else ""
        message.add_segment(Segment("LOC", codes.ACTIVITY, [event.station, "", "", name]))
        message.add_segment(Segment("NAD", "ZZZ", recorded.by))
        if event.type == EventType.SEAL_CHECK:
            for seal in event.seals:
                i = state.chain_index(seal.sealNumber)
                if i is not None:
                    chain = state.chains[i]
                    kind = "CN" if chain.original.containerNumber else "RR"
                    message.add_segment(Segment("EQD", kind, chain.unit))
                condition = codes.SEAL_CONDITIONS[seal.result]
                message.add_segment(Segment("SEL", seal.sealNumber, "", condition))
                if seal.result == SealResult.REPLACED and seal.newSeal is not None:
                    new = seal.newSeal
                    message.add_segment(
                        Segment(
                            "SEL",
                            new.number,
                            codes.PARTY_CODES[new.sealingParty],
                            codes.SEAL_CONDITIONS["INTACT"],
                            "",
                            codes.TYPE_CODES[new.type],
                        )
                    )
        if event.type == EventType.TRANSSHIPMENT:
            for move in event.moves:
                message.add_segment(Segment("EQD", "CN", move.container))
                message.add_segment(Segment("EQA", "RR", [move.fromWagon, "FRM"]))
                message.add_segment(Segment("EQA", "RR", [move.toWagon, "TO"]))
        state = apply_event(state, recorded)
    interchange = new_interchange(sender, recipient, reference, prepared_at)
    interchange.add_message(message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        return interchange.serialize(break_lines=True)
