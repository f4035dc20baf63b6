"""HTTP to other nodes for witnessing: submitting a checkpoint to a witness, asking a log for
a consistency proof or its latest checkpoint, reading another witness's view of a log.

Every call has a short timeout and raises ``PeerUnreachable`` (try again later) or
``PeerRefused`` (the peer answered, and said no); nothing here retries or waits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import httpx

from ledger.tlog.add_checkpoint import PATH as ADD_CHECKPOINT

# The submission and monitoring prefix of every node's witness, below its base URL.
WITNESS_PREFIX = "/witness"
CONSISTENCY_PATH = "/v1/checkpoints/consistency"
LATEST_PATH = "/v1/checkpoints/latest"
TIMEOUT = 5.0


class PeerUnreachable(Exception):  # noqa: N818 (an outcome: the peer did not answer)
    """No answer, or a server error: the same request may work later."""


class PeerRefused(Exception):  # noqa: N818 (an outcome: the peer said no)
    """The peer answered with a client error: it will say the same again."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Submitted:
    """A witness's answer to add-checkpoint, as it came."""

    status: int
    content_type: str
    body: bytes


class WitnessClient:
    def __init__(self, http: httpx.Client | None = None, timeout: float = TIMEOUT) -> None:
        self._own = http is None
        self.http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self) -> WitnessClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_checkpoint(self, base_url: str, body: bytes) -> Submitted:
        """POST an add-checkpoint body to the node's witness; any answer but a 5xx returns."""
        url = base_url.rstrip("/") + WITNESS_PREFIX + ADD_CHECKPOINT
        response = self._send("POST", url, content=body, headers={"Content-Type": "text/plain"})
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        return Submitted(response.status_code, content_type, response.content)

    def consistency_proof(self, base_url: str, old: int, new: int) -> tuple[bytes, ...]:
        """The log's RFC 9162 proof from its tree of ``old`` entries to that of ``new``."""
        url = base_url.rstrip("/") + CONSISTENCY_PATH
        response = self._send("GET", url, params={"old": old, "new": new})
        _refuse_client_errors(response)
        try:
            proof = response.json()["proof"]
            return tuple(base64.b64decode(h, validate=True) for h in proof)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise PeerRefused(f"{url}: not a consistency proof ({exc})") from None

    def latest_checkpoint(self, base_url: str) -> str:
        """The log's latest checkpoint note, with the cosignatures it serves."""
        url = base_url.rstrip("/") + LATEST_PATH
        response = self._send("GET", url)
        _refuse_client_errors(response)
        try:
            note = response.json()["checkpoint"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PeerRefused(f"{url}: not a checkpoint answer ({exc})") from None
        if not isinstance(note, str):
            raise PeerRefused(f"{url}: the checkpoint is not text")
        return note

    def witness_view(self, base_url: str, origin: str) -> str | None:
        """Another witness's latest cosigned checkpoint of a log (tlog-witness monitoring),
        or None if it has cosigned none."""
        digest = hashlib.sha256(origin.encode()).hexdigest()
        url = f"{base_url.rstrip('/')}{WITNESS_PREFIX}/{digest}/checkpoint"
        response = self._send("GET", url)
        if response.status_code == 404:
            return None
        _refuse_client_errors(response)
        return response.text

    def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise PeerUnreachable(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise PeerUnreachable(f"{url}: HTTP {response.status_code}")
        return response


def _refuse_client_errors(response: httpx.Response) -> None:
    if response.status_code >= 400:
        detail = response.text[:200]
        raise PeerRefused(
            f"{response.request.url}: HTTP {response.status_code}: {detail}", response.status_code
        )


__all__ = [
    "CONSISTENCY_PATH",
    "WITNESS_PREFIX",
    "PeerRefused",
    "PeerUnreachable",
    "Submitted",
    "WitnessClient",
]
