"""Platforms on loopback for the PINT tests: each with its own SQLite PINT store, its own
SQLite ledger (the reference implementation of the ledger port), its own accounts and its
own signing key from the demo PKI, served by a real uvicorn on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.http.serving import serving
from interop.pint import (
    ActionCode,
    AdditionalDocument,
    IdentifyingCode,
    KeyRing,
    Party,
    Peer,
    PintStore,
    PlatformSigner,
    Receiver,
    ReferenceLedger,
    Sender,
    StaticDirectory,
    Transfer,
    create_app,
    issuance_manifest,
    transaction,
    transport_document_checksum,
)
from network.examples import EBL, read

T0 = datetime.datetime(2026, 3, 11, 8, 0, tzinfo=datetime.UTC)

# Platform code → (the demo organisation whose document key the platform signs with, the
# countries whose organisations hold accounts there).
PLATFORMS = {
    "AEOT": ("cn-cosco", ("CN",)),
    "SGTD": ("sg-dbs", ("SG",)),
    "IQAX": ("ru-customs", ("RU", "KZ")),
}


def example_td(reference: str | None = None) -> dict:
    td = json.loads(read(EBL))
    if reference is not None:
        td["transportDocumentReference"] = reference
    return td


class Clock:
    """A test clock that moves one second per reading: action times never go backwards."""

    def __init__(self, start: datetime.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=1)
        return self.now


@dataclass
class Platform:
    code: str
    signer: PlatformSigner
    store: PintStore
    ledger: ReferenceLedger
    directory: StaticDirectory
    receiver: Receiver
    sender: Sender
    clock: Clock
    url: str = ""
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    @property
    def peer(self) -> Peer:
        return Peer(self.code, self.url)

    def party(self, account: str) -> Party:
        found = self.directory.account(account)
        assert found is not None, account
        return found.party

    def code_of(self, account: str) -> IdentifyingCode:
        return IdentifyingCode(codeListProvider=self.code, partyCode=account)

    def issue(self, td: dict, carrier: str, holder: str) -> str:
        """The carrier issues the eBL on this platform's ledger; returns its checksum."""
        checksum = transport_document_checksum(td)
        self.ledger.issue(checksum, carrier, holder)
        return checksum

    def first_transfer(
        self,
        td: dict,
        to: Platform,
        recipient: str,
        carrier: str = "cn-cosco",
        holder: str = "cn-exporter",
        documents: tuple[AdditionalDocument, ...] = (),
        visualisation: AdditionalDocument | None = None,
    ) -> Transfer:
        """The holder's transfer of a locally issued eBL to a party on another platform."""
        issue_to = self.party(holder)
        recipient_party = self.sender.receiver_party(to.peer, to.code_of(recipient))
        return Transfer(
            transport_document=td,
            previous_chain=(),
            transactions=[
                transaction(ActionCode.ISSUE, self.party(carrier), self.clock(), issue_to),
                transaction(ActionCode.TRANSFER, issue_to, self.clock(), recipient_party),
            ],
            actor=holder,
            to=to.peer,
            documents=documents,
            visualisation=visualisation,
            issuance_manifest=issuance_manifest(td, issue_to, self.signer, visualisation),
        )

    def onward(
        self,
        td_checksum: str,
        actor: str,
        to: Platform,
        recipient_party: Party,
        code: ActionCode = ActionCode.TRANSFER,
        documents: tuple[AdditionalDocument, ...] = (),
        visualisation: AdditionalDocument | None = None,
    ) -> Transfer:
        """A transfer of an eBL this platform received, from the chain it keeps."""
        return Transfer(
            transport_document=self.store.transport_document(td_checksum),
            previous_chain=self.store.chain(td_checksum),
            transactions=[transaction(code, self.party(actor), self.clock(), recipient_party)],
            actor=actor,
            to=to.peer,
            documents=documents,
            visualisation=visualisation,
        )

    def close(self) -> None:
        self.client.close()
        self.store.close()
        self.ledger.close()


class Network:
    """Platforms sharing one key ring (each trusts the others' keys), built on demand."""

    def __init__(self, home, keys: dict[str, PlatformSigner], workdir: Path) -> None:
        self.home = home
        self.keys = keys
        self.workdir = workdir
        self.ring = KeyRing.of({code: [s.public_key()] for code, s in keys.items()})
        self.platforms: dict[str, Platform] = {}
        self._stack = contextlib.ExitStack()

    def build(self, code: str, served: bool = True) -> Platform:
        signer = self.keys[code]
        _, countries = PLATFORMS[code]
        orgs = [o for o in self.home.organisations() if o.country in countries]
        directory = StaticDirectory.of_organisations(code, orgs)
        folder = self.workdir / code
        store = PintStore(folder / "pint.db")
        ledger = ReferenceLedger(folder / "ledger.db")
        clock = Clock()
        receiver = Receiver(
            signer=signer,
            ring=self.ring,
            store=store,
            ledger=ledger,
            directory=directory,
            clock=clock,
        )
        client = httpx.Client(timeout=30)
        sender = Sender(
            signer=signer, ring=self.ring, store=store, ledger=ledger, client=client, clock=clock
        )
        platform = Platform(
            code, signer, store, ledger, directory, receiver, sender, clock, client=client
        )
        if served:
            platform.url = self._stack.enter_context(serving(create_app(receiver)))
        self.platforms[code] = platform
        return platform

    def __getitem__(self, code: str) -> Platform:
        return self.platforms.get(code) or self.build(code)

    def close(self) -> None:
        self._stack.close()
        for p in self.platforms.values():
            p.close()


def tampered(value, path, new):
    """A deep copy of ``value`` with ``value[path...] = new``."""
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out
