"""Selective disclosure: hide fields of a wrapped document and keep it valid, as the official
``obfuscateDocument`` does.

The hidden fields are picked as lodash's ``pick`` picks them (paths like ``a.b.0.c``,
``a[0].c`` or ``a["b"]``; a path that is not there is ignored), flattened, and each field's
hash is appended to ``privacy.obfuscatedData``; then they are removed from ``data``. The
result, hashes and their order, is byte for byte the official one.

Two requests that the official library carries out but that leave a document no verifier
accepts are refused here, with the path named: removing an array item (JavaScript's
``delete`` leaves a hole that JSON writes as ``null``, a new field) and hiding every field of
an object or array (the empty container left behind becomes a new field). Hide the whole
parent instead. The ``issuers`` block, which verification reads, cannot be hidden either.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from interop.oa.errors import OaError
from interop.oa.flatten import flatten
from interop.oa.hashing import field_hash
from interop.oa.js_text import js_json

# lodash's rePropName and reEscapeChar (stringToPath).
_PROP = re.compile(
    r"""[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))"""
)
_ESCAPE = re.compile(r"\\(\\)?")
_PLAIN = re.compile(r"\w*", re.ASCII)
_DEEP = re.compile(r"""\.|\[(?:[^[\]]*|(["'])(?:(?!\1)[^\\]|\\.)*?\1)\]""")


def path_keys(path: str, data: Mapping[str, Any]) -> list[str]:
    """lodash's ``castPath``: a top-level key as is, else the keys of ``stringToPath``."""
    if _PLAIN.fullmatch(path) or not _DEEP.search(path) or path in data:
        return [path]
    keys = [""] if path.startswith(".") else []
    for m in _PROP.finditer(path):
        number, quote, inner = m.group(1), m.group(2), m.group(3)
        if quote:
            keys.append(_ESCAPE.sub(lambda e: e.group(1) or "", inner))
        else:
            keys.append(number or m.group(0))
    return keys


def _child(node: Any, key: str) -> tuple[bool, Any]:
    if type(node) is dict:
        return (True, node[key]) if key in node else (False, None)
    if type(node) is list and key.isdigit() and (key == "0" or key[0] != "0"):
        i = int(key)
        return (True, node[i]) if i < len(node) else (False, None)
    return False, None


def _get(data: Any, keys: list[str]) -> tuple[bool, Any]:
    node = data
    for key in keys:
        found, node = _child(node, key)
        if not found:
            return False, None
    return True, node


def hidden_hashes(data: Mapping[str, Any], paths: Iterable[str]) -> list[str]:
    """The hashes of the fields ``paths`` select, in the official order: the fields of
    ``flatten(pick(data, paths))``."""
    picked: dict[str, Any] = {}
    made = {id(picked)}  # containers built here, as opposed to values picked whole
    for path in paths:
        keys = path_keys(path, data)
        found, value = _get(data, keys)
        if not found:
            continue
        node: dict[str, Any] = picked
        for key in keys[:-1]:
            below: Any = node.get(key)
            if id(below) not in made:
                if type(below) in (dict, list):
                    break  # inside a value already picked whole: nothing to add
                below = node[key] = {}  # lodash makes [] or {}: same keys, same order
                made.add(id(below))
            node = below
        else:
            node[keys[-1]] = value
    return [field_hash(path, js_json(leaf)) for path, leaf in flatten(picked)]


def obfuscate(document: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of the wrapped ``document`` with the fields at ``paths`` hidden."""
    wanted = [paths] if isinstance(paths, str) else list(paths)
    data = document.get("data")
    if type(data) is not dict:
        raise OaError("data", "a wrapped document's data must be an object")
    for path in wanted:
        keys = path_keys(path, data)
        if keys[0] == "issuers":
            raise OaError(path, "the issuers block cannot be hidden: verification reads it")
    hashes = hidden_hashes(data, wanted)
    data = copy.deepcopy(data)
    emptied: list[tuple[str, list[str]]] = []
    for path in wanted:
        keys = path_keys(path, data)
        found, parent = _get(data, keys[:-1])
        if not found:
            continue
        last = keys[-1]
        if type(parent) is dict and last in parent:
            del parent[last]
            emptied.append((path, keys[:-1]))
        elif type(parent) is list and _child(parent, last)[0]:
            raise OaError(
                path,
                "removing an array item leaves a hole that JSON writes as null, which "
                "breaks the document: hide the item's fields or the whole array",
            )
    for path, parent_keys in emptied:
        for depth in range(len(parent_keys), 0, -1):
            found, node = _get(data, parent_keys[:depth])
            if found and type(node) in (dict, list) and not node:
                where = ".".join(parent_keys[:depth])
                raise OaError(
                    path,
                    f"hiding it leaves {where} empty, and an empty container is a field of "
                    f"its own, which breaks the document: hide {where} as a whole",
                )
    out = dict(document)
    out["data"] = data
    privacy = document.get("privacy") or {}
    if type(privacy) is not dict:
        raise OaError("privacy", "must be an object")
    existing = privacy.get("obfuscatedData", [])
    if type(existing) is not list:
        raise OaError("privacy.obfuscatedData", "must be an array of hashes")
    out["privacy"] = {**privacy, "obfuscatedData": [*existing, *hashes]}
    return out


__all__ = ["hidden_hashes", "obfuscate", "path_keys"]
