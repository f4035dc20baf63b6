"""The rail corridor on a node (关铁通): registering a consignment with its route, recording
border events and release decisions, reading a consignment's journey and the release-time
report from the ledger, and advance information pushed to the next country's node. Offers
``RailDesk`` (the operations), ``Outbox`` (what advance information is pushed through) with
``LocalOutbox`` (a single-home node's), ``advance_information``, and
``receive_advance_information`` (the receiving node's checks on arrival); ``holding`` holds a
verified arrival on the receiving country's ledger (``RAIL_IMPORT``); ``views`` has the
JSON forms, ``exchange`` ePhyto XML and EDIFACT in and out.
"""

from network.rail.advance import (
    ADVANCE_INFORMATION,
    AdvanceCheck,
    LocalOutbox,
    Outbox,
    Push,
    advance_information,
    arrival_handler,
    check_advance_information,
    encode,
    receive_advance_information,
)
from network.rail.desk import (
    Decided,
    RailDesk,
    RailNotKept,
    RailStatus,
    Recorded,
    Registered,
    SealReport,
)

__all__ = [
    "ADVANCE_INFORMATION",
    "AdvanceCheck",
    "Decided",
    "LocalOutbox",
    "Outbox",
    "Push",
    "RailDesk",
    "RailNotKept",
    "RailStatus",
    "Recorded",
    "Registered",
    "SealReport",
    "advance_information",
    "arrival_handler",
    "check_advance_information",
    "encode",
    "receive_advance_information",
]
