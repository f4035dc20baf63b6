"""The node's witness and log endpoints for witnessing (C2SP tlog-witness).

- ``POST /witness/add-checkpoint``: exactly as tlog-witness specifies. The body is text
  (``old <size>``, the proof lines, an empty line, the checkpoint); a 200 is the witness's
  cosignature lines as ``text/plain``, a 409 the size it holds as ``text/x.tlog.size``;
  400, 403, 404 and 422 are problem+json naming the check that failed.
- ``GET /witness/<sha256 of origin>/checkpoint``: the latest checkpoint cosigned for a log.
- ``GET /v1/checkpoints/consistency?old=M&new=N``: this log's RFC 9162 consistency proof.
- ``GET /v1/witness/status``: who witnesses this log and how far, which logs it witnesses.
- ``GET /v1/witness/evidence``: the equivocation evidence it holds, each piece re-checked
  (what ``tdx network evidence --json`` prints; anyone can re-check a piece offline).

Like tlog-witness, none of them authenticates the caller: the log's signature on the
checkpoint is what the witness checks. The background submitter (``Witnessing``) runs
while the app runs, for a home that has peers, unless the node's configuration turns it off
(``NodeConfig.witnessing``; ``tdx serve --no-witnessing``).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.http.problems import Problem
from ledger.tlog.add_checkpoint import PATH as ADD_CHECKPOINT
from ledger.tlog.add_checkpoint import SIZE_CONTENT_TYPE, size_body
from ledger.tlog.witness import Answer
from network.node import Node, NotOffered
from network.witness import (
    Witness,
    Witnessing,
    cosigned,
    evidence_of,
    latest_witnessed,
    witnessing_status,
)
from network.witness.client import CONSISTENCY_PATH, WITNESS_PREFIX
from network.witness.store import WitnessStore

ADD_CHECKPOINT_PATH = WITNESS_PREFIX + ADD_CHECKPOINT
# Bodies that are not JSON: the app's content-type rule lets these through.
TEXT_BODY_PATHS = frozenset({ADD_CHECKPOINT_PATH})
_lock = threading.Lock()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    running = await run_in_threadpool(start_witnessing, app)
    try:
        yield
    finally:
        if running is not None:
            await run_in_threadpool(running.stop)
        with _lock:
            witness: Witness | None = getattr(app.state, "witness", None)
            app.state.witness = None  # a later lifespan of the same app opens a new one
        if witness is not None:
            witness.store.close()


router = APIRouter(tags=["witness"], lifespan=_lifespan)


def start_witnessing(app: FastAPI) -> Witnessing | None:
    """Start submitting this node's checkpoints to its witnesses, and gossiping, if the home
    has peers (and the node's ``witnessing`` is on). ``app.state.witnessing.notify()`` after a
    commit makes it submit at once instead of at its next poll."""
    node: Node = app.state.node
    if not node.witnessing or not _witness(app).store.peers():
        return None
    running = Witnessing(node.home, node.provable, node.clock)
    app.state.witnessing = running
    running.start()
    return running


def _witness(app: FastAPI) -> Witness:
    with _lock:
        found: Witness | None = getattr(app.state, "witness", None)
        if found is None:
            node: Node = app.state.node
            found = Witness(node.home, clock=node.clock)
            app.state.witness = found
        return found


def _store(app: FastAPI) -> WitnessStore:
    return _witness(app).store


@router.post(
    ADD_CHECKPOINT_PATH,
    summary="Cosign a checkpoint of a peer's log (C2SP tlog-witness add-checkpoint)",
    responses={
        200: {"description": "The cosignature lines", "content": {"text/plain": {}}},
        400: {"description": "Malformed body, or the old size is above the checkpoint's"},
        403: {"description": "No valid signature by the log's key"},
        404: {"description": "A log this witness does not serve"},
        409: {
            "description": "The old size is not the size this witness holds (in the body)",
            "content": {SIZE_CONTENT_TYPE: {}},
        },
        422: {"description": "Not consistent with what this witness cosigned"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "old <size>, up to 63 base64 proof hashes, an empty line, the note",
        }
    },
)
async def add_checkpoint(request: Request) -> Response:
    witness = _witness(request.app)
    answer = await run_in_threadpool(witness.add_checkpoint, await request.body())
    decision = answer.decision
    if answer.cosignature is not None:
        return Response(answer.cosignature.encode(), 200, media_type="text/plain")
    if decision.answer is Answer.OLD_SIZE_MISMATCH:
        # Exactly this content type (no charset): tlog-witness clients compare it.
        headers = {"Content-Type": SIZE_CONTENT_TYPE}
        return Response(size_body(decision.held_size), 409, headers=headers)
    failed = decision.checks[-1]
    raise Problem(
        int(decision.answer),
        decision.reason,
        f"witness-{failed.name}",
        checks=[c.to_json() for c in decision.checks],
    )


@router.get(
    WITNESS_PREFIX + "/{origin_hash}/checkpoint",
    summary="The latest checkpoint this witness cosigned for a log (tlog-witness monitoring)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, 404: {"description": "None cosigned"}},
)
def monitored(
    request: Request,
    origin_hash: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256(origin)")],
) -> Response:
    note = _witness(request.app).monitored(origin_hash)
    if note is None:
        raise Problem(404, "this witness has cosigned no checkpoint of that log", "not-witnessed")
    return Response(note.encode(), 200, media_type="text/plain")


@router.get(
    CONSISTENCY_PATH,
    summary="This log's RFC 9162 consistency proof between two of its sizes (public)",
    tags=["ledger"],
)
def consistency(
    request: Request,
    old: Annotated[int, Query(ge=0, le=2**63 - 1)],
    new: Annotated[int, Query(ge=0, le=2**63 - 1)],
) -> dict[str, Any]:
    node: Node = request.app.state.node
    if node.provable is None:
        raise NotOffered("a consistency proof", node.engine.value)
    try:
        proof = node.provable.consistency_proof(old, new)
    except ValueError as exc:
        raise Problem(422, str(exc), "consistency-range") from None
    return {"old": old, "new": new, "proof": [base64.b64encode(h).decode() for h in proof]}


@router.get(
    "/v1/witness/status",
    summary="Who witnesses this node's log and how far, and which peer logs it witnesses",
)
def status(request: Request) -> dict[str, Any]:
    node: Node = request.app.state.node
    return witnessing_status(node.home).to_json()


@router.get(
    "/v1/witness/evidence",
    summary="Equivocation evidence this node holds against peer logs, each piece re-checked",
)
def evidence(request: Request) -> dict[str, Any]:
    node: Node = request.app.state.node
    return evidence_of(node.home).to_json()


def served_checkpoint(app: FastAPI, note: str) -> dict[str, Any]:
    """What ``GET /v1/checkpoints/latest`` adds for witnessing: the note with its
    witnesses' cosignature lines, who cosigned it, and the latest witnessed checkpoint
    (which may be older than the latest one: witnesses cosign after the commit)."""
    store = _store(app)
    current = cosigned(store, note)
    witnessed = latest_witnessed(store)
    return {
        "checkpoint": current.note,
        "witnesses": [w.to_json() for w in current.witnesses],
        "witnessed": witnessed.to_json() if witnessed else None,
    }


__all__ = [
    "ADD_CHECKPOINT_PATH",
    "TEXT_BODY_PATHS",
    "router",
    "served_checkpoint",
    "start_witnessing",
]
