"""The error of a malformed EDIFACT message: which segment, and what is wrong with it."""

from __future__ import annotations


class EdifactError(ValueError):
    def __init__(
        self, message: str, segment: str | None = None, position: int | None = None
    ) -> None:
        where = ""
        if segment is not None:
            where = f"segment {position} ({segment}): " if position is not None else f"{segment}: "
        super().__init__(f"{where}{message}")
        self.segment = segment
        self.position = position
        self.message = message
