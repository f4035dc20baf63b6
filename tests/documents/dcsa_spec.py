"""DCSA's eBL 3.0.3 OpenAPI file, as vendored in interop/dcsa/spec, read once per process."""

import datetime
import functools
import json
from typing import Any

import yaml

from interop.dcsa import EBL_SPEC

# libyaml when present: the file is half a megabyte.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def ebl_spec() -> Any:
    return yaml.load(EBL_SPEC.read_text(encoding="utf-8"), Loader=_LOADER)


def as_json(node: Any) -> bytes:
    """A node of the spec as JSON bytes."""

    def default(value: Any) -> str:
        # yaml reads an unquoted 2023-12-20 as a date; JSON carries it as a string.
        if isinstance(value, datetime.date):
            return value.isoformat()
        raise TypeError(f"not JSON: {value!r}")

    return json.dumps(node, default=default).encode()
