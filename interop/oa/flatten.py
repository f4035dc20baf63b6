"""``data`` as OpenAttestation sees it: a flat list of dotted paths and their leaf values.

This follows ``flatley`` 5.2 as the official library calls it: objects and arrays are
walked (array items by index), an empty ``{}`` or ``[]`` is itself a leaf, and a key that
contains ``.`` is an error. Paths are joined with ``.``; a path under an empty-string key
starts without it, as flatley's ``prev ? prev + "." + key : key`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from interop.oa.errors import OaError
from interop.oa.js_text import js_keys


def join(prefix: str, key: str) -> str:
    return prefix + "." + key if prefix else key


def check_key(prefix: str, key: str) -> None:
    if "." in key:
        raise OaError(join(prefix, key), "a key must not contain '.' (OpenAttestation paths)")


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs in JavaScript's key order."""
    t = type(value)
    if t is dict:
        for key in js_keys(value):
            check_key(prefix, key)
            child = value[key]
            if type(child) in (dict, list) and child:
                yield from flatten(child, join(prefix, key))
            else:
                yield join(prefix, key), child
    elif t is list:
        for i, child in enumerate(value):
            key = str(i)
            if type(child) in (dict, list) and child:
                yield from flatten(child, join(prefix, key))
            else:
                yield join(prefix, key), child
    else:
        raise OaError(prefix or "data", "must be a JSON object or array")


__all__ = ["check_key", "flatten", "join"]
