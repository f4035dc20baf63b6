"""Reading and writing interchanges with pydifact, and reading one element of a segment.

pydifact warns that it has no segment directory for the service segments; that is expected
(the tdx profile checks every segment it reads itself), so the warning is silenced here.
"""

from __future__ import annotations

import datetime
import warnings

from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.segmentcollection import Interchange
from pydifact.segments import Segment

from interop.edifact.errors import EdifactError


def parse_interchange(text: str) -> Interchange:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        try:
            return Interchange.from_str(text)
        except (EDISyntaxError, StopIteration, IndexError, ValueError) as exc:
            raise EdifactError(f"not a well-formed EDIFACT interchange: {exc}", "UNB") from None


def new_interchange(
    sender: str, recipient: str, reference: str, prepared_at: datetime.datetime
) -> Interchange:
    return Interchange(
        sender=sender,
        recipient=recipient,
        control_reference=reference,
        syntax_identifier=("UNOC", 3),
        timestamp=prepared_at.astimezone(datetime.UTC).replace(tzinfo=None),
    )


def element(segment: Segment, index: int, component: int = 0) -> str:
    """Element ``index`` of ``segment`` (its ``component``-th part if composite), or ''."""
    if index >= len(segment.elements):
        return ""
    value = segment.elements[index]
    if isinstance(value, list):
        return str(value[component]) if component < len(value) else ""
    return str(value) if component == 0 and value is not None else ""


def label(segment: Segment) -> str:
    """``TAG+qualifier`` as a reader would look it up: ``NAD+CZ``, ``LOC+5``."""
    qualifier = element(segment, 0)
    return f"{segment.tag}+{qualifier}" if qualifier else segment.tag
