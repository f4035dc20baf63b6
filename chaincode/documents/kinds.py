"""The kinds of trade document, alone: a module light enough for the command line to
import before it knows which command runs (``registry`` holds their models)."""

from __future__ import annotations

import enum


class DocumentKind(enum.StrEnum):
    CO = "co"
    EBL = "ebl"
    PHYTO = "phyto"
    RAIL = "rail"


__all__ = ["DocumentKind"]
