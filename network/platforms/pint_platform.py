"""The node as a DCSA PINT 3.0.0 platform: its settings (``HOME/pint.json``), its signing
key, its PINT memory (``HOME/pint.db``), its accounts (the home's organisations it names) and
the node's own ledger as the ledger port, put together once for the receiving endpoints
(``router``, which the node's HTTP app mounts under ``/v3``) and for sending
(``sender`` and ``transfer``).

A transfer carries the local history the chain does not have yet: from issuance on the
issuing platform, or since the eBL last arrived here (``local_transactions``), so that the
chain records every change of possessor.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter

from chaincode.external_control import elsewhere
from interop.pint import (
    ActionCode,
    AdditionalDocument,
    KeyRing,
    Party,
    Peer,
    PintStore,
    PlatformSigner,
    Receiver,
    Sender,
    SendRefusedError,
    StaticDirectory,
    Transfer,
    issuance_manifest,
    router,
    transaction,
)
from interop.pint.checksums import td_checksum_of
from interop.pint.config import FILE_NAME, ConfigError, PlatformConfig, load
from interop.pint.history import HistoryError
from interop.pint.models import Transaction
from interop.pint.signatures import KeyNotAllowedError
from ledger.interface import HistoryEntry
from network.platforms.pint_ledger import NodePintLedger

if TYPE_CHECKING:
    from network.platforms.node_port import PlatformNode

STORE_FILE = "pint.db"
# Local operations a chain carries (tdx's endorsement passes title and possession together:
# DCSA's ENDORSE_TO_ORDER then TRANSFER), and those it skips (attempts that came to nothing).
_CARRIED = frozenset({"TRANSFER", "ENDORSE"})
_SKIPPED = frozenset(
    {"BEGIN_TRANSFER_OUT", "CANCEL_TRANSFER_OUT", "SACC", "RELEASE", "DELEGATE", "PICKUP"}
)


def _at(entry: HistoryEntry) -> datetime.datetime:
    at = datetime.datetime.fromisoformat(entry.time.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=datetime.UTC)


def local_transactions(
    history: Sequence[HistoryEntry], party: Callable[[str], Party]
) -> list[Transaction]:
    """The PINT transactions of the ledger's history that the chain does not record yet:
    since the eBL last arrived here (``RECORD_RECEIVED``), or from its ``ISSUE`` on the
    issuing platform. ``HistoryError`` if an operation there cannot be carried."""
    arrivals = [i for i, e in enumerate(history) if e.op == "RECORD_RECEIVED"]
    start = arrivals[-1] + 1 if arrivals else 0
    out: list[Transaction] = []
    for entry in history[start:]:
        to = entry.details.get("to")
        if entry.op == "ISSUE" and not arrivals and not out and isinstance(to, str):
            out.append(transaction(ActionCode.ISSUE, party(entry.actor), _at(entry), party(to)))
        elif entry.op in _CARRIED and isinstance(to, str) and (out or arrivals):
            actor, recipient, at = party(entry.actor), party(to), _at(entry)
            if entry.op == "ENDORSE":
                out.append(transaction(ActionCode.ENDORSE_TO_ORDER, actor, at, recipient))
            out.append(transaction(ActionCode.TRANSFER, actor, at, recipient))
        elif entry.op not in _SKIPPED:
            raise HistoryError(f"entry {entry.index}: {entry.op} cannot be carried by PINT here")
    if not arrivals and not out:
        raise HistoryError("the history has no ISSUE")
    return out


@dataclass
class PintPlatform:
    node: PlatformNode
    config: PlatformConfig
    signer: PlatformSigner
    ring: KeyRing
    store: PintStore
    ledger: NodePintLedger
    directory: StaticDirectory
    receiver: Receiver

    @property
    def code(self) -> str:
        return self.config.platform

    @classmethod
    def open(cls, node: PlatformNode) -> PintPlatform | None:
        """The node's platform, or None when its home has no ``pint.json``; ``ConfigError``
        (or ``KeyNotAllowedError``) names what is wrong in one that is there."""
        path = node.home.path / FILE_NAME
        if not path.is_file():
            return None
        config = load(path)
        key = node.home.signing_key(config.signer)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyNotAllowedError(
                f"{config.signer}'s {type(key).__name__} cannot sign PINT content"
            )
        signer = PlatformSigner.of(config.platform, key)
        ring = config.ring(signer.public_key())
        orgs = [o for o in node.home.organisations() if config.has_account(o.id, o.country)]
        directory = StaticDirectory.of_organisations(config.platform, orgs)
        store = PintStore(node.home.path / STORE_FILE)
        ledger = NodePintLedger(node, config.platform)
        receiver = Receiver(
            signer=signer,
            ring=ring,
            store=store,
            ledger=ledger,
            directory=directory,
            clock=node.clock,
        )
        return cls(node, config, signer, ring, store, ledger, directory, receiver)

    def close(self) -> None:
        self.store.close()

    def router(self) -> APIRouter:
        """The four receiving endpoints, for the node's app to mount."""
        return router(self.receiver)

    def sender(self, client: httpx.Client) -> Sender:
        return Sender(
            signer=self.signer,
            ring=self.ring,
            store=self.store,
            ledger=self.ledger,
            client=client,
            clock=self.node.clock,
        )

    def party(self, org_id: str) -> Party:
        account = self.directory.account(org_id)
        if account is None:
            raise ConfigError(f"{org_id} has no account on PINT platform {self.code}")
        return account.party

    def transfer(
        self,
        sender: Sender,
        doc_id: str,
        peer: Peer,
        recipient: Party,
        actor: str,
        action: ActionCode = ActionCode.TRANSFER,
        documents: Sequence[AdditionalDocument] = (),
        transport_document: Any = None,
    ) -> Transfer:
        """The transfer of eBL ``doc_id`` by ``actor`` to ``recipient`` on ``peer``: the chain
        this platform keeps, the local history it lacks, then ``action``. The transport
        document is the PINT store's for an eBL that came by PINT, else ``transport_document``
        (the one issued here)."""
        td_checksum = td_checksum_of(doc_id)
        record = self.ledger.record(td_checksum)
        where = elsewhere(record) if record is not None else None
        if where is not None:
            raise SendRefusedError(where)
        previous = self.store.chain(td_checksum)
        td = self.store.transport_document(td_checksum) if previous else transport_document
        if td is None:
            raise ConfigError(f"this platform holds no transport document of {doc_id}")
        local = local_transactions(self.node.ledger.history(doc_id), self.party)
        move = transaction(action, self.party(actor), self.node.clock(), recipient)
        first = local[0].recipient if local and not previous else None
        return Transfer(
            transport_document=td,
            previous_chain=previous,
            transactions=[*local, move],
            actor=actor,
            to=peer,
            documents=documents,
            issuance_manifest=(
                issuance_manifest(td, first, sender.signer) if first is not None else None
            ),
        )


__all__ = ["STORE_FILE", "PintPlatform", "local_transactions"]
