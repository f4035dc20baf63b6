"""The example consignment (Chongqing - Alashankou/Dostyk - Almaty), its actors, and a
compact way to write its border events."""

import datetime
import json
from pathlib import Path
from typing import Any

from chaincode.documents.rail import RailConsignment
from chaincode.rail.events import BorderEvent, RecordedEvent
from chaincode.records import Actor
from identity.roles import Role

EXAMPLE = (
    Path(__file__).resolve().parents[3] / "network" / "examples" / "rail_chongqing_almaty.json"
)

ALASHANKOU, DOSTYK = "892305", "708507"
TUANJIECUN, ALMATY = "841209", "700007"
FIRST, SECOND = "TRIU8734127", "SZLU9053180"
FIRST_SEAL, SECOND_SEAL = "CQ0418823", "SL2600046213"
FIRST_WAGON, SECOND_WAGON = "5271034", "5271187"
# 1520 mm wagons on the Kazakh side (8 digits).
KZ_WAGON, KZ_WAGON_2 = "52003412", "52003420"

KZ_RAIL = Actor("kz-ktz", "KZ", frozenset({Role.RAIL}))
KZ_CUSTOMS = Actor("kz-customs", "KZ", frozenset({Role.CUSTOMS}))
CN_RAIL = Actor("cn-railway", "CN", frozenset({Role.RAIL}))
CN_CUSTOMS = Actor("cn-gacc", "CN", frozenset({Role.CUSTOMS}))
KZ_CARRIER = Actor("kz-forwarder", "KZ", frozenset({Role.CARRIER}))

START = datetime.datetime(2026, 4, 10, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))


def raw_consignment() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def consignment(raw: dict[str, Any] | None = None) -> RailConsignment:
    return RailConsignment.model_validate_json(json.dumps(raw or raw_consignment()))


def event(kind: str, station: str = DOSTYK, minute: int = 0, **fields: Any) -> BorderEvent:
    at = START + datetime.timedelta(minutes=minute)
    return BorderEvent.model_validate_json(
        json.dumps({"type": kind, "station": station, "time": at.isoformat(), **fields})
    )


def check(
    *seals: tuple[str, str] | tuple[str, str, dict[str, str]], minute: int = 0
) -> BorderEvent:
    observations = []
    for seal in seals:
        obs: dict[str, Any] = {"sealNumber": seal[0], "result": seal[1]}
        if len(seal) == 3:
            obs["newSeal"] = seal[2]
        observations.append(obs)
    return event("SEAL_CHECK", minute=minute, seals=observations)


def move(container: str, from_wagon: str, to_wagon: str, minute: int = 0) -> BorderEvent:
    return event(
        "TRANSSHIPMENT",
        minute=minute,
        moves=[{"container": container, "fromWagon": from_wagon, "toWagon": to_wagon}],
    )


def customs_seal(number: str) -> dict[str, str]:
    return {"number": number, "type": "SMART_LOCK", "sealingParty": "CUSTOMS"}


def recorded(*events: BorderEvent, by: str = KZ_RAIL.id) -> list[RecordedEvent]:
    return [RecordedEvent(e, by) for e in events]
