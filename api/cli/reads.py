"""tdx status / trace / doc get / ebl held: the reads.

On the node's own home they read as the node's operator. With ``--node URL --as ORG`` they
read over HTTP as that organisation (its token minted from this home), and the node's read
policy decides: a refusal prints the rule and exits 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from api.cli.common import HomeOpt, IdArg, JsonOpt, emit_json, err, fail, guard, home_of, node_of
from api.cli.common import out as console

if TYPE_CHECKING:  # imported when a read runs, not when the command line starts
    from api.http.client import NodeClient
    from chaincode.read_policy import Reader
    from network.node import Node

T = TypeVar("T")

NodeUrlOpt = Annotated[
    str | None,
    typer.Option("--node", help="Read over HTTP from the node at this URL (needs --as)."),
]
ReaderOpt = Annotated[
    str | None,
    typer.Option("--as", help="With --node: the organisation that reads (the policy applies)."),
]


def _operator() -> Reader:
    from chaincode.read_policy import OPERATOR

    return OPERATOR


def _remote(
    node_url: str, as_org: str | None, home: Path | None, call: Callable[[NodeClient, str], T]
) -> T:
    if as_org is None:
        fail("--node needs --as ORG: the organisation that reads", 2)
    from api.http.client import ApiProblem, NodeClient

    client = NodeClient(node_url, home_of(home))
    try:
        return guard(lambda: call(client, as_org))
    except ApiProblem as problem:
        rule = problem.problem.get("rule")
        named = f", rule {rule}" if rule else ""
        fail(f"refused ({problem.status}{named}): {problem.problem.get('detail')}")
    finally:
        client.close()


def _read(
    home: Path | None,
    node_url: str | None,
    as_org: str | None,
    local: Callable[[Node], T],
    remote: Callable[[NodeClient, str], T],
) -> T:
    """``local`` on this home as its operator, or ``remote`` over HTTP as ``as_org``."""
    if node_url is not None:
        return _remote(node_url, as_org, home, remote)
    if as_org is not None:
        fail("--as needs --node URL: on its own home the command line reads as its operator", 2)
    with node_of(home) as node:
        return guard(lambda: local(node))


def show_entries(entries: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(entries)
        return
    fixed = ("index", "txId", "op", "actor", "time", "doc", "kind")
    for e in entries:
        extra = " ".join(f"{k}={v}" for k, v in e.items() if k not in fixed)
        doc = f" {e['doc']}" if e.get("doc") else ""
        line = f"#{e['index']} {e['time']} {e['actor']} {e['op']}{doc} {extra}"
        console.print(line.rstrip(), markup=False)


def _status_json(node: Node, doc_id: str) -> dict[str, Any]:
    from api.views import status_json

    return status_json(node.status(doc_id, _operator()))


def status(
    doc_id: IdArg,
    home: HomeOpt = None,
    node: NodeUrlOpt = None,
    as_org: ReaderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A document's state, holder (for an eBL) and history length."""
    body: dict[str, Any] = _read(
        home,
        node,
        as_org,
        lambda n: _status_json(n, doc_id),
        lambda c, org: c.call("GET", f"/v1/documents/{doc_id}", org),
    )
    if as_json:
        emit_json(body)
        return
    for key, value in body.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        console.print(f"{key}: {shown}", markup=False)


def trace(
    doc_id: IdArg,
    home: HomeOpt = None,
    node: NodeUrlOpt = None,
    as_org: ReaderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every entry that touched the document and the documents linked to it."""
    entries: list[dict[str, Any]] = _read(
        home,
        node,
        as_org,
        lambda n: [e.to_json() for e in n.trace(doc_id, _operator())],
        lambda c, org: c.call("GET", f"/v1/documents/{doc_id}/trace", org),
    )
    show_entries(entries, as_json)


def get(
    doc_id: IdArg,
    output: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    home: HomeOpt = None,
    node: NodeUrlOpt = None,
    as_org: ReaderOpt = None,
) -> None:
    """The signed document (its content: the strictest read)."""
    data: bytes = _read(
        home,
        node,
        as_org,
        lambda n: n.signed_document(doc_id, _operator()),
        lambda c, org: c.raw("GET", f"/v1/documents/{doc_id}/signed", org),
    )
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        err.print(f"Wrote the signed document {doc_id} to {output}", markup=False)


def held(
    org: Annotated[str, typer.Argument(help="The organisation whose eBLs to list.")],
    home: HomeOpt = None,
    node: NodeUrlOpt = None,
    as_org: ReaderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The eBLs an organisation holds now."""
    ebls: list[str] = _read(
        home,
        node,
        as_org,
        lambda n: n.holdings(org, _operator()),
        lambda c, reader: c.call("GET", f"/v1/organisations/{org}/ebls", reader),
    )
    if as_json:
        sys.stdout.write(json.dumps(ebls) + "\n")
    else:
        for doc_id in ebls:
            console.print(doc_id, markup=False)


__all__ = ["get", "held", "show_entries", "status", "trace"]
