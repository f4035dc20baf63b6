"""IFTMIN (instruction message) in, RailConsignment out: the SMGS consignment note.

Every message of the interchange is read and validated before any is returned; a malformed
one raises EdifactError naming the segment (its position in the interchange, counting UNB
as 1, and its tag and qualifier), and nothing is handed on. Document rules (ISO 6346 check
digits, seals on listed units, ...) are reported at the segment the field came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydifact.segments import Segment

from chaincode.documents.rail import RailConsignment
from chaincode.documents.registry import DocumentKind, InvalidDocumentError, validate_document
from interop.edifact import codes
from interop.edifact.errors import EdifactError
from interop.edifact.syntax import element, label, parse_interchange

_MANDATORY = ("BGM", "TDT", "LOC+5", "LOC+8", "NAD+CZ", "NAD+CN", "EQD+RR", "GID")


class _Message:
    """One IFTMIN message being read; ``origin`` maps JSON paths to the segment they came from."""

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {
            "consignorDeclarations": [],
            "borderCrossings": [],
            "wagons": [],
            "seals": [],
            "goods": [],
        }
        self.origin: dict[str, tuple[str, int]] = {}
        self.seen: set[str] = set()
        self.unit: tuple[str, str] | None = None  # the EQD the next SEL belongs to
        self.pending_exit: dict[str, Any] | None = None

    def fail(self, segment: Segment, position: int, message: str) -> EdifactError:
        return EdifactError(message, label(segment), position)

    def need(self, segment: Segment, position: int, index: int, what: str, part: int = 0) -> str:
        value = element(segment, index, part)
        if not value:
            raise self.fail(segment, position, f"{what} is missing")
        return value

    def station(self, segment: Segment, position: int) -> dict[str, str]:
        return {
            "name": self.need(segment, position, 1, "station name (C517/3224)", 3),
            "code": self.need(segment, position, 1, "station code (C517/3225)"),
            "country": self.need(segment, position, 2, "station country (C519/3223)"),
        }

    def read(self, segment: Segment, position: int) -> None:
        key = label(segment)
        here = (key, position)
        self.seen.add(key if segment.tag in ("LOC", "NAD", "EQD") else segment.tag)
        raw = self.raw
        if segment.tag == "BGM":
            name = element(segment, 0, 3)
            if element(segment, 0) != "720" or name not in codes.NOTE_TYPES:
                raise self.fail(
                    segment,
                    position,
                    "document is 720 (rail consignment note) named SMGS or CIM/SMGS",
                )
            raw["noteType"] = codes.NOTE_TYPES[name]
            raw["noteNumber"] = self.need(segment, position, 1, "note number (C106/1004)")
            self.origin["$.noteNumber"] = here
        elif segment.tag == "FTX" and element(segment, 0) == "DCL":
            self.origin[f"$.consignorDeclarations[{len(raw['consignorDeclarations'])}]"] = here
            raw["consignorDeclarations"].append(self.need(segment, position, 3, "text (C108)"))
        elif segment.tag == "TDT":
            if element(segment, 0) != "20" or element(segment, 2) != "2":
                raise self.fail(segment, position, "main carriage (20) by rail (mode 2)")
            raw["trainNumber"] = self.need(segment, position, 1, "train number (8028)")
            self.origin["$.trainNumber"] = here
        elif segment.tag == "LOC":
            self._location(segment, position)
        elif segment.tag == "NAD":
            role = {"CZ": "consignor", "CN": "consignee"}.get(element(segment, 0))
            if role is None:
                raise self.fail(segment, position, "party is CZ (consignor) or CN (consignee)")
            raw[role] = {
                "name": self.need(segment, position, 3, "party name (C080/3036)"),
                "address": self.need(segment, position, 4, "street (C059/3042)"),
                "country": self.need(segment, position, 8, "country (3207)"),
            }
            self.origin[f"$.{role}"] = here
        elif segment.tag == "EQD":
            self._equipment(segment, position)
        elif segment.tag == "EQA":
            if self.unit is None or self.unit[0] != "wagon" or element(segment, 0) != "CN":
                raise self.fail(
                    segment, position, "a container (EQA+CN) follows its wagon's EQD+RR"
                )
            wagon = raw["wagons"][-1]
            self.origin[
                f"$.wagons[{len(raw['wagons']) - 1}].containers[{len(wagon['containers'])}]"
            ] = here
            wagon["containers"].append(self.need(segment, position, 1, "container number"))
        elif segment.tag == "SEL":
            self._seal(segment, position)
        elif segment.tag == "GID":
            self.origin[f"$.goods[{len(raw['goods'])}]"] = here
            raw["goods"].append(
                {
                    "packages": {
                        "count": self._int(segment, position, 1, "package count (7224)"),
                        "type": self.need(segment, position, 1, "package type (7065)", 1),
                    }
                }
            )
            self.unit = None
        elif segment.tag in ("FTX", "PIA", "MEA"):
            self._goods_detail(segment, position)
        else:
            raise self.fail(segment, position, "segment is not in the tdx IFTMIN profile")

    def _int(self, segment: Segment, position: int, index: int, what: str) -> int:
        text = self.need(segment, position, index, what)
        if not text.isdigit():
            raise self.fail(segment, position, f"{what} is not a whole number: {text!r}")
        return int(text)

    def _location(self, segment: Segment, position: int) -> None:
        qualifier = element(segment, 0)
        station = self.station(segment, position)
        here = (label(segment), position)
        if qualifier == codes.DEPARTURE:
            self.raw["departureStation"] = station
            self.origin["$.departureStation"] = here
        elif qualifier == codes.DESTINATION:
            self.raw["destinationStation"] = station
            self.origin["$.destinationStation"] = here
        elif qualifier == codes.EXIT:
            self.pending_exit = station
        elif qualifier == codes.ENTRY:
            gauge = element(segment, 3)
            if self.pending_exit is None or gauge not in codes.GAUGE:
                raise self.fail(
                    segment,
                    position,
                    "an entry station follows its exit station "
                    "(LOC+42) and says GC (gauge change) or SG (same gauge)",
                )
            self.origin[f"$.borderCrossings[{len(self.raw['borderCrossings'])}]"] = here
            self.raw["borderCrossings"].append(
                {
                    "exitStation": self.pending_exit,
                    "entryStation": station,
                    "gaugeChange": codes.GAUGE[gauge],
                }
            )
            self.pending_exit = None
        else:
            raise self.fail(segment, position, "place is 5, 8, 42 (border exit) or 41 (entry)")

    def _equipment(self, segment: Segment, position: int) -> None:
        kind = element(segment, 0)
        number = self.need(segment, position, 1, "equipment number (C237/8260)")
        if kind == "RR":
            self.origin[f"$.wagons[{len(self.raw['wagons'])}]"] = (label(segment), position)
            self.raw["wagons"].append({"number": number, "containers": []})
            self.unit = ("wagon", number)
        elif kind == "CN":
            self.unit = ("container", number)
        else:
            raise self.fail(segment, position, "equipment is RR (wagon) or CN (container)")

    def _seal(self, segment: Segment, position: int) -> None:
        if self.unit is None:
            raise self.fail(segment, position, "a seal follows the EQD of its wagon or container")
        party = codes.SEAL_PARTIES.get(element(segment, 1))
        seal_type = codes.SEAL_TYPES.get(element(segment, 4))
        if party is None or seal_type is None:
            raise self.fail(
                segment,
                position,
                "seal issuer is SH, CA or CU and seal type (4525) is MEC, ESL or NAV",
            )
        unit_field = "wagonNumber" if self.unit[0] == "wagon" else "containerNumber"
        self.origin[f"$.seals[{len(self.raw['seals'])}]"] = (label(segment), position)
        self.raw["seals"].append(
            {
                "number": self.need(segment, position, 0, "seal number (9308)"),
                "type": seal_type,
                "sealingParty": party,
                unit_field: self.unit[1],
            }
        )

    def _goods_detail(self, segment: Segment, position: int) -> None:
        if not self.raw["goods"] or self.unit is not None:
            raise self.fail(segment, position, "goods details follow their GID")
        i = len(self.raw["goods"]) - 1
        line = self.raw["goods"][i]
        here = (label(segment), position)
        qualifier = element(segment, 0)
        if segment.tag == "FTX" and qualifier == "AAA":
            line["description"] = self.need(segment, position, 3, "description (C108)")
            self.origin[f"$.goods[{i}].description"] = here
        elif segment.tag == "PIA" and element(segment, 1, 1) in ("HS", "NHM"):
            name = "hsCode" if element(segment, 1, 1) == "HS" else "nhmCode"
            line[name] = self.need(segment, position, 1, "item number (C212/7140)")
            self.origin[f"$.goods[{i}].{name}"] = here
        elif segment.tag == "MEA" and qualifier == "WT" and element(segment, 1) == "G":
            if element(segment, 2) != "KGM":
                raise self.fail(segment, position, "gross mass is given in KGM")
            text = self.need(segment, position, 2, "gross mass (C174/6314)", 1)
            try:
                line["grossMassKg"] = float(text)
            except ValueError:
                raise self.fail(segment, position, f"gross mass {text!r} is not a number") from None
            self.origin[f"$.goods[{i}].grossMassKg"] = here
        else:
            raise self.fail(
                segment, position, "goods are described by FTX+AAA, PIA (HS or NHM) and MEA+WT+G"
            )

    def finish(self, message_position: int) -> RailConsignment:
        for needed in _MANDATORY:
            if needed not in self.seen:
                raise EdifactError(f"missing segment {needed}", "UNH", message_position)
        try:
            valid = validate_document(DocumentKind.RAIL, self.raw)
        except InvalidDocumentError as exc:
            first = exc.errors[0]
            prefixes = sorted(self.origin, key=len, reverse=True)
            where = next((self.origin[p] for p in prefixes if first.path.startswith(p)), None)
            segment, position = where if where else ("UNH", message_position)
            raise EdifactError(
                f"{first.path}: {first.rule}: {first.message}", segment, position
            ) from None
        assert isinstance(valid.model, RailConsignment)
        return valid.model


def import_iftmin(text: str) -> list[RailConsignment]:
    """Every consignment note in the interchange ``text``, or EdifactError for the first fault."""
    interchange = parse_interchange(text)
    consignments: list[RailConsignment] = []
    message: _Message | None = None
    start = 0
    for i, segment in enumerate(interchange.segments):
        position = i + 2  # UNB is segment 1
        if segment.tag == "UNH":
            if message is not None:
                raise EdifactError("a message begins before the last one ended", "UNH", position)
            if element(segment, 1, 0) != "IFTMIN":
                raise EdifactError("the message type is IFTMIN", "UNH", position)
            message, start = _Message(), position
        elif segment.tag == "UNT":
            if message is None:
                raise EdifactError("UNT without its UNH", "UNT", position)
            count = element(segment, 0)
            if count != str(position - start + 1):
                raise EdifactError(
                    f"the message has {position - start + 1} segments, UNT says {count!r}",
                    "UNT",
                    position,
                )
            consignments.append(message.finish(start))
            message = None
        elif message is None:
            raise EdifactError("segment outside a message", segment.tag, position)
        else:
            message.read(segment, position)
    if message is not None:
        raise EdifactError("the last message has no UNT", "UNH", start)
    if not consignments:
        raise EdifactError("the interchange holds no message", "UNB", 1)
    return consignments


def import_iftmin_into(text: str, accept: Callable[[RailConsignment], None]) -> int:
    """Hand every consignment of ``text`` to ``accept``, only once all of them are valid."""
    consignments = import_iftmin(text)
    for consignment in consignments:
        accept(consignment)
    return len(consignments)
