"""Read-only contract calls for verification, many in one JSON-RPC batch request.

Verifying a document asks a DocumentStore ``isIssued`` once and ``isRevoked`` for every node
of its Merkle path (a dozen calls in a batch of 1,000). Sent as one JSON-RPC batch they
cost one round trip, and ``call_many`` sends the calls of many documents together, each
distinct call once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from interop.oa.hashing import keccak256


def selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


IS_ISSUED = selector("isIssued(bytes32)")
IS_REVOKED = selector("isRevoked(bytes32)")
OWNER_OF = selector("ownerOf(uint256)")
BENEFICIARY = selector("beneficiary()")
HOLDER = selector("holder()")


class RpcError(RuntimeError):
    """The node did not answer, or answered something that is not JSON-RPC."""


@dataclass(frozen=True)
class Call:
    to: str
    data: bytes


@dataclass(frozen=True)
class Result:
    """An ``eth_call``'s output, or its error (a revert, or no contract: empty output)."""

    output: bytes | None
    error: str | None = None

    def word(self) -> bytes | None:
        if self.output is None or len(self.output) < 32:
            return None
        return self.output[:32]

    def as_bool(self) -> bool | None:
        word = self.word()
        return None if word is None else word != bytes(32)

    def as_address(self) -> str | None:
        word = self.word()
        return None if word is None else "0x" + word[12:].hex()


class JsonRpc:
    """One EVM node's JSON-RPC endpoint, for reads."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout)
        self._chain_id: int | None = None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JsonRpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, body: Any) -> Any:
        try:
            response = self._client.post(self.url, json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RpcError(f"{self.url}: {exc}") from None

    def chain_id(self) -> int:
        if self._chain_id is None:
            answer = self._post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
            try:
                self._chain_id = int(answer["result"], 16)
            except (KeyError, TypeError, ValueError):
                raise RpcError(f"{self.url}: no chain id in {answer!r}") from None
        return self._chain_id

    def call_many(self, calls: Sequence[Call]) -> dict[Call, Result]:
        """Each distinct call once, all in one batch request."""
        distinct = list(dict.fromkeys(calls))
        if not distinct:
            return {}
        body = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "eth_call",
                "params": [{"to": c.to, "data": "0x" + c.data.hex()}, "latest"],
            }
            for i, c in enumerate(distinct)
        ]
        answers = self._post(body)
        if type(answers) is not list:
            raise RpcError(f"{self.url}: a batch request got {answers!r}")
        results: dict[Call, Result] = {}
        for answer in answers:
            try:
                call = distinct[int(answer["id"])]
            except (KeyError, TypeError, ValueError, IndexError):
                raise RpcError(f"{self.url}: an answer with an unknown id: {answer!r}") from None
            if "error" in answer:
                error = answer["error"]
                message = error.get("message") if type(error) is dict else str(error)
                results[call] = Result(None, str(message))
            else:
                text = str(answer.get("result", ""))
                results[call] = Result(bytes.fromhex(text.removeprefix("0x")))
        missing = [c for c in distinct if c not in results]
        if missing:
            raise RpcError(f"{self.url}: {len(missing)} call(s) of the batch had no answer")
        return results


__all__ = [
    "BENEFICIARY",
    "HOLDER",
    "IS_ISSUED",
    "IS_REVOKED",
    "OWNER_OF",
    "Call",
    "JsonRpc",
    "Result",
    "RpcError",
    "selector",
]
