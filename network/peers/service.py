"""A country's node among its peers: its identity, the peers it knows (the network
folder's descriptors), the checks it applies to their signed requests, and the three
exchanges: asking a peer about a document, answering a peer's question, and delivering the
outbox's items.

Built by ``network.node.Node`` when its home belongs to a demo network folder; everything
it keeps (query audit log, held checkpoints, nonces, inbox, outbox) is in the node's home.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509

from identity.checks import Check, CheckName
from ledger.evidence import Evidence
from network.home import Home
from network.network_folder import NetworkFolder, NodeDescriptor
from network.peers import answers
from network.peers.audit_log import QueryEntry, QueryLog
from network.peers.client import PeerClient, PeerTransportError
from network.peers.held import HeldCheckpoints
from network.peers.http_signatures import RequestVerifier, SignedBy
from network.peers.inbox import Inbox
from network.peers.node_judge import NodeJudge
from network.peers.outbox import OutboxItem
from network.replay import ReplayCache

QUERY_PATH = "/v1/peer/verification-queries"
DELIVERY_PATH = "/v1/peer/deliveries"


@dataclass(frozen=True)
class IssuerAnswer:
    """What asking the issuing country's node gave: the ``issuer-node`` check, and, when
    the answer held and the node has a record, the evidence it vouches for."""

    check: Check[CheckName]
    status: str | None = None
    evidence: Evidence | None = None
    checkpoint_size: int | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None


def _files_stamp(folder: Path) -> tuple[tuple[str, int, int, int], ...] | None:
    """The identity of each file in ``folder`` (name, inode, size, modification time); None
    if it changed while being looked at (or is not there): to be read again."""
    try:
        with os.scandir(folder) as entries:
            stats = [(e.name, e.stat()) for e in entries]
    except FileNotFoundError:
        return None
    return tuple(sorted((n, st.st_ino, st.st_size, st.st_mtime_ns) for n, st in stats))


class Peers:
    def __init__(
        self,
        home: Home,
        folder: NetworkFolder,
        clock: Callable[[], datetime.datetime],
    ) -> None:
        country = home.country
        assert country is not None
        self.country = country
        self.home = home
        self.folder = folder
        self.clock = clock
        self.origin = home.setting("origin")  # read once: each read parses tdx.json
        self.certificate = home.node_certificate()
        self._key = home.node_key()
        self._chain = [self.certificate, home.root(country)]
        self._answers = answers.AnswerSigner(self._key, self._chain)
        self._descriptors_read = _files_stamp(folder.path / "nodes")
        self._descriptors: dict[str, NodeDescriptor] = folder.descriptors()
        self._judge = NodeJudge(home)
        self.audit = QueryLog(home.path / "queries.db")
        self.held = HeldCheckpoints(home.path / "held.db")
        self.inbox = Inbox(home.path / "inbox.db", clock)
        self._nonces = ReplayCache(home.path / "peer-nonces.db")
        self.requests = RequestVerifier(self.judge, self._nonces.first_use)
        self.client = PeerClient(self._key, self.certificate, clock)

    def close(self) -> None:
        self.client.close()
        self.audit.close()
        self.held.close()
        self.inbox.close()
        self._nonces.close()

    # --- who is who -----------------------------------------------------------------------

    def descriptor(self, country: str) -> NodeDescriptor | None:
        found = self._descriptors.get(country)
        if found is None:  # a node that joined since: read the folder again, if it changed
            # (an outbox item for a country with no node asks on every retry; reading and
            # parsing every descriptor each time cost the node 10-30 ms of CPU a second)
            stamp = _files_stamp(self.folder.path / "nodes")
            if stamp is None or stamp != self._descriptors_read:
                self._descriptors = self.folder.descriptors()
                self._descriptors_read = stamp
                found = self._descriptors.get(country)
        return found

    def descriptors(self) -> dict[str, NodeDescriptor]:
        return dict(self._descriptors)

    def judge(self, cert: x509.Certificate, now: datetime.datetime) -> tuple[str | None, str]:
        """(its country, why) if ``cert`` is a trusted node certificate at ``now``; else
        (None, why not); against the trust list and CRLs as they are now in the home."""
        return self._judge.judge(cert, now)

    # --- asking ---------------------------------------------------------------------------

    def _log(
        self,
        direction: Literal["asked", "answered"],
        peer: str,
        node: str,
        digest: str,
        issuer: str | None,
        status: str | None,
        outcome: str,
        detail: str,
    ) -> None:
        self.audit.record(
            QueryEntry(
                self.clock(),
                direction,
                peer,
                node,
                digest,
                issuer,
                status,
                outcome,
                detail,
            )
        )

    def ask(self, country: str, digest: str, issuer: str | None) -> IssuerAnswer:
        """Ask ``country``'s node about ``digest`` and check its answer completely."""
        node = self.descriptor(country)
        if node is None:
            reason = f"no node of {country} is listed in the network folder {self.folder.path}"
            self._log("asked", country, "-", digest, issuer, None, "unreachable", reason)
            return IssuerAnswer(Check.not_checked(CheckName.ISSUER_NODE, reason))
        held = self.held.get(country, node.origin)
        body = {"digest": digest, "issuer": issuer, "knownSize": held.size if held else None}
        try:
            nonce, response = self.client.post(node.base_url, QUERY_PATH, body)
        except PeerTransportError as exc:
            reason = f"the {country} node at {node.base_url} did not answer: {exc}"
            self._log(
                "asked", country, node.fingerprint, digest, issuer, None, "unreachable", reason
            )
            return IssuerAnswer(Check.not_checked(CheckName.ISSUER_NODE, reason))
        if response.status_code != 200:
            try:
                detail = str(response.json().get("detail"))
            except ValueError:
                detail = response.text[:200]
            reason = f"the {country} node refused the query ({response.status_code}): {detail}"
            self._log("asked", country, node.fingerprint, digest, issuer, None, "refused", reason)
            return IssuerAnswer(Check.not_checked(CheckName.ISSUER_NODE, reason))
        try:
            token = str(response.json()["answer"])
        except (ValueError, KeyError, TypeError):
            token = ""
        question = answers.Question(digest, issuer, body["knownSize"], nonce)  # type: ignore[arg-type]
        checked = answers.check_answer(
            token, question, node, lambda cert: self.judge(cert, self.clock()), held
        )
        failure = checked.failure
        if failure is not None:
            reason = f"the {country} node's answer fails its {failure.name} check: {failure.reason}"
            self._log("asked", country, node.fingerprint, digest, issuer, None, "rejected", reason)
            return IssuerAnswer(Check.failed(CheckName.ISSUER_NODE, reason))
        assert checked.status is not None
        size = None
        if checked.checkpoint is not None:
            self.held.advance(
                country, checked.checkpoint, str(checked.payload and checked.payload["checkpoint"])
            )
            size = checked.checkpoint.size
        parts = "; ".join(f"{c.name}: {c.reason}" for c in checked.checks)
        reason = f"the {country} node answers {checked.status} ({parts})"
        self._log(
            "asked", country, node.fingerprint, digest, issuer, checked.status, "believed", reason
        )
        return IssuerAnswer(
            Check.passed(CheckName.ISSUER_NODE, reason), checked.status, checked.evidence, size
        )

    # --- answering ------------------------------------------------------------------------

    def answer(
        self,
        signed_by: SignedBy,
        digest: str,
        issuer: str | None,
        known_size: int | None,
        evidence: Callable[[str, str | None], Evidence | None],
        latest_checkpoint: Callable[[], str],
        consistency: Callable[[int, int], list[bytes]] | None,
    ) -> str:
        """The signed answer to a peer's question (the ledger's callbacks give the record,
        the latest checkpoint and consistency proofs), logged."""
        question = answers.Question(digest, issuer, known_size, signed_by.nonce)
        found = evidence(digest, issuer)
        payload = answers.write_answer(
            question,
            self.country,
            self.origin,
            found,
            latest_checkpoint() if consistency is not None else "",
            consistency,
            self.clock(),
        )
        token = self._answers.sign(payload)
        note = payload["checkpoint"]
        size = int(str(note).split("\n")[1]) if note else None
        self._log(
            "answered",
            signed_by.country,
            signed_by.key_id,
            digest,
            issuer,
            str(payload["status"]),
            "answered",
            f"answered {payload['status']} at checkpoint size {size}",
        )
        return token

    # --- delivering -----------------------------------------------------------------------

    def deliver(self, item: OutboxItem) -> str:
        """Send one outbox item to its destination's node; its acknowledgement (JSON text),
        or an exception (the item is retried)."""
        node = self.descriptor(item.destination)
        if node is None:
            raise LookupError(f"no node of {item.destination} in the network folder")
        payload = base64.b64encode(item.payload).decode()
        body = {"kind": item.kind, "key": item.key, "payload": payload}
        _, response = self.client.post(node.base_url, DELIVERY_PATH, body)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        return json.dumps(response.json())


__all__ = ["DELIVERY_PATH", "QUERY_PATH", "IssuerAnswer", "Peers"]
