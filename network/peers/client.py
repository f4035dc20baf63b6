"""The signing HTTP client one node uses to call another: each request signed with the
node's key (``network.peers.http_signatures``), over pooled keep-alive connections.
``post`` sends JSON, ``post_bytes`` any body; a node's own client is ``node.peers.client``."""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519

from network.peers.http_signatures import RequestSigner

TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class PeerClient:
    def __init__(
        self,
        key: ed25519.Ed25519PrivateKey,
        certificate: x509.Certificate,
        clock: Callable[[], datetime.datetime],
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self._signer = RequestSigner(key, certificate)
        self._clock = clock
        self._http = httpx.Client(
            timeout=timeout, limits=httpx.Limits(max_keepalive_connections=32)
        )

    def post(
        self, base_url: str, path: str, body: Any, nonce: str | None = None
    ) -> tuple[str, httpx.Response]:
        """POST ``body`` (as JSON) signed; the nonce the signature carries, and the response.
        Transport failures raise ``httpx.HTTPError``."""
        data = json.dumps(body, separators=(",", ":")).encode()
        return self.post_bytes(base_url, path, data, "application/json", nonce)

    def post_bytes(
        self,
        base_url: str,
        path: str,
        data: bytes,
        content_type: str,
        nonce: str | None = None,
    ) -> tuple[str, httpx.Response]:
        """POST ``data`` as it is (e.g. a C2SP tlog-witness ``text/plain`` body), signed the
        same way (its Content-Digest covers the bytes)."""
        nonce = nonce or secrets.token_urlsafe(18)
        url = base_url.rstrip("/") + path
        headers = self._signer.sign("POST", url, data, self._clock(), nonce)
        headers["Content-Type"] = content_type
        return nonce, self._http.post(url, content=data, headers=headers)

    def close(self) -> None:
        self._http.close()


__all__ = ["PeerClient"]
