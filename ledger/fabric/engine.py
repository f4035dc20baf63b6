"""The Fabric ledger engine: ``ledger.interface.Ledger`` over a Fabric network's Gateway.

Submitting: the node's own admission first (``ledger.admission.admit``: clock skew, a
trusted unrevoked ledger certificate, its signature; then the ledger key's organisation),
so a refusal reads as the embedded engine's. Then the rules, against the index's mirror of
every channel this node reads (``ledger.fabric.mirror``): Fabric commits nothing across
channels, so what only another channel's state refuses (the same digest anchored there,
a live right on the same container there) is refused here, with the rules' text. Then a
proposal ``submit <signed transaction>`` signed with the acting organisation's Fabric key,
endorsed by the peers of the countries whose records it creates or changes (the
chaincode's key-level policies require them), submitted to the BFT orderers, and waited
for until committed. The chaincode runs ``chaincode.lifecycle.apply`` on its channel's
state, the authority there; its refusal comes back with the embedded engine's kind and
text. Fabric's MVCC check is the authority when two
transactions race: a transaction invalidated by MVCC_READ_CONFLICT is endorsed again
against the new state, where the rules either refuse it (``conflict``, with the winner
named) or accept it. The same signed transaction submitted twice is recognised by the
chaincode (``tx/<id>``) and answered with the first receipt.

Channels: a record lives on the channel of its corridor (see ``channel_for``); later
transactions go where the record they act on is.

Reading: a record and a pickup right come from the chaincode (Evaluate, the peers' world
state), on the channel the index found them on; a digest's issuers (first anchored first,
as this node saw them), history, trace, links, containers and holders come from the index,
which a follower per channel fills from the Gateway's ChaincodeEvents stream, resuming
from the stored block number. After a commit, the engine waits until the follower has
indexed it.

What is embedded-only: signed checkpoints, inclusion proofs, offline proof bundles and
``verify_log`` (``ledger.interface.ProvableLedger``): on Fabric the blocks (hash-chained,
signed by 3 of 4 orderers) are the log, and this engine is a plain ``Ledger``; a verifier's
evidence names the channel and chaincode whose state it read.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509

from chaincode.documents.registry import DocumentKind
from chaincode.identifiers import is_doc_id
from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply
from chaincode.records import Actor, DocumentRecord, PickupRight
from chaincode.transactions import Op, Transaction
from ledger.admission import admit
from ledger.evidence import ChannelRead, Evidence
from ledger.fabric import policy
from ledger.fabric.contract import EVENT
from ledger.fabric.gateway import (
    CommitStatus,
    Endorsed,
    EventStream,
    Gateway,
    GatewayError,
    Proposal,
    Signer,
    proposal,
)
from ledger.fabric.index import FabricIndex
from ledger.fabric.mirror import MirrorView
from ledger.fabric.refusals import (
    FabricError,
    diagnose,
    fabric_refusal,
    refusal_of,
)
from ledger.fabric.world_state import ledger_key_id
from ledger.interface import HistoryEntry, Identities, Receipt, document_summary, single
from ledger.records_codec import document_from_row, right_from_json
from ledger.signed_tx import SignedTx

RETRY_CONFLICTS = 25  # an MVCC loser is endorsed again; each round has a winner
INDEX_WAIT = 30.0
COMMIT_TIMEOUT = 60.0  # a BFT view change takes seconds; a lost quorum, for ever
TRANSPORT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
CONFLICTS = ("MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT")


@dataclass(frozen=True)
class FabricConfig:
    """Where the network is: written by ``network.fabric``."""

    channels: dict[str, tuple[str, ...]]  # channel -> member countries
    peers: dict[str, str]  # country -> peer address
    tls_roots: bytes  # the countries' roots, PEM
    chaincode: str


class FabricLedger:
    nonblocking_reads = False  # reads call the peers

    def __init__(
        self,
        config: FabricConfig,
        index_path: Path,
        identities: Identities,
        organisations: Sequence[str],
        signers: Callable[[str], Signer | None],
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        follow: bool = True,
        commit_timeout: float = COMMIT_TIMEOUT,
    ) -> None:
        """``organisations`` are those whose Fabric keys this node holds; ``signers`` gives
        the Fabric client identity of one of them (None otherwise)."""
        self._organisations = list(organisations)
        self._commit_timeout = commit_timeout
        self._config = config
        self._identities = identities
        self._signers = signers
        self._signer_cache: dict[str, Signer | None] = {}
        self._clock = clock
        self._key_ids: dict[str, str | None] = {}
        self._index = FabricIndex(index_path, self._key_id)
        self._gateways: dict[str, Gateway] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._pending = 0
        self.mvcc_conflicts = 0  # transactions invalidated by MVCC and endorsed again
        # Transactions invalidated by ENDORSEMENT_POLICY_FAILURE and endorsed again, as the
        # gateway plans it: the endorsers were not those a key's policy needs, or a key's
        # policy was set by a transaction earlier in the same block (a race, as MVCC).
        self.policy_failures = 0
        self._streams: dict[str, EventStream] = {}
        self._followers: list[threading.Thread] = []
        if self._index.meta("chaincode") not in (None, config.chaincode):
            raise RuntimeError(f"{index_path} indexes another chaincode; remove it to rebuild")
        self._index.set_meta("chaincode", config.chaincode)
        if follow:
            for channel in config.channels:
                if self._reader(channel) is None:
                    continue  # no identity of this node may read that channel
                thread = threading.Thread(
                    target=self._follow, args=(channel,), name=f"tdx-fabric-{channel}", daemon=True
                )
                thread.start()
                self._followers.append(thread)

    # --- identities and connections -----------------------------------------------------

    def _signer(self, org_id: str) -> Signer | None:
        if org_id not in self._signer_cache:
            self._signer_cache[org_id] = self._signers(org_id)
        return self._signer_cache[org_id]

    def _country(self, org_id: str) -> str | None:
        party = self._identities.party(org_id)
        return party.country if party else None

    def _reader(self, channel: str) -> Signer | None:
        """An identity of this node that may read ``channel`` (a member's organisation)."""
        members = self._config.channels[channel]
        cached = f"reader:{channel}"
        if cached not in self._signer_cache:
            found = None
            for org_id in self._organisations:
                if self._country(org_id) in members and (signer := self._signer(org_id)):
                    found = signer
                    break
            self._signer_cache[cached] = found
        return self._signer_cache[cached]

    def _gateway(self, country: str) -> Gateway:
        with self._lock:
            if country not in self._gateways:
                self._gateways[country] = Gateway(
                    self._config.peers[country], self._config.tls_roots
                )
            return self._gateways[country]

    def _peer_order(self, channel: str, preferred: str | None) -> list[str]:
        members = list(self._config.channels[channel])
        if preferred in members:
            members.remove(preferred)
            members.insert(0, preferred)
        return members

    # --- channels -----------------------------------------------------------------------

    def _view(self, channel: str | None = None) -> MirrorView:
        return MirrorView(self._index, self._identities.party, channel)

    def channel_for(self, tx: Transaction, actor_country: str) -> str:
        """Where a transaction goes: the channel of the record it acts on (a right's, for a
        delegation or a pickup); for a new record, the channel of its corridor, the smallest
        whose members include its issuing country and the countries of the parties it
        names, preferring one that holds the documents it links to. A record of no corridor
        is refused, naming the channels."""
        existing = self._existing_channel(tx)
        if existing is not None:
            return existing
        # A new record's corridor; for a reference to nothing known, the actor's own
        # corridor, where the rules give their refusal (not found, with their text).
        countries = {tx.country or actor_country, actor_country}
        for org in (tx.to, tx.carrier):
            country = self._country(org) if org else None
            if country:
                countries.add(country)
        candidates = [
            name
            for name, members in sorted(
                self._config.channels.items(), key=lambda item: (len(item[1]), item[0])
            )
            if countries <= set(members)
        ]
        if not candidates:
            channels = "; ".join(
                f"{name}: {', '.join(m)}" for name, m in sorted(self._config.channels.items())
            )
            raise Refusal(
                RefusalKind.INVALID,
                f"no corridor channel has all of {', '.join(sorted(countries))} "
                f"(channels: {channels})",
            )
        linked = {c for link in tx.links if (c := self._channel_of(link)) is not None}
        return next((c for c in candidates if c in linked), candidates[0])

    def _existing_channel(self, tx: Transaction) -> str | None:
        if tx.op in (Op.DELEGATE, Op.PICKUP) and tx.container:
            found = self._index.right(tx.container)
            if found is not None:
                return found[1]
        if tx.op in (Op.ISSUE, Op.ANCHOR_BATCH) or tx.doc is None:
            return None
        record = self._addressed(tx, self._view())
        if record is None:
            return None
        return self._index.channel_of_record(record.id, record.issuer)

    @staticmethod
    def _addressed(tx: Transaction, view: MirrorView) -> DocumentRecord | None:
        """The record a transaction on an existing document acts on, found as the rules
        find it: for an amendment, replacement or revocation the actor's own record of the
        digest, else its first; for an eBL, its carrier's record, else the digest's only
        eBL, else its first record."""
        doc = tx.doc
        if doc is None:
            return None
        if tx.op in (Op.AMEND, Op.REPLACE, Op.REVOKE):
            return view.document(doc, tx.actor) or view.document(doc)
        if tx.carrier is not None:
            return view.document(doc, tx.carrier)
        records = [r for i in view.issuers(doc) if (r := view.document(doc, i)) is not None]
        ebls = [r for r in records if r.kind is DocumentKind.EBL]
        found = ebls or records
        return found[0] if found else None

    def _channel_of(self, doc_id: str) -> str | None:
        channel = self._index.channel_of(doc_id)
        if channel is not None:
            return channel
        for name in self._config.channels:
            if self._query(name, "issuers", doc_id):
                return name
        return None

    def _endorsers(
        self, tx: Transaction, effects: Effects, channel: str, actor: Actor
    ) -> list[str]:
        """The countries whose peers must endorse: those whose records the transaction
        creates or changes (a right: its eBL's), and for a release, the country whose
        right on the container it replaces (the right key's policy until now)."""
        view = self._view(channel)
        countries = [view.home_country(d) or actor.country for d in effects.documents]
        if effects.batch is not None:
            countries.append(effects.batch.country or actor.country)
        for right in effects.rights:
            ebl = view.document(right.ebl, right.released_by)
            countries.append((view.home_country(ebl) if ebl else None) or actor.country)
            current = view.pickup_right(right.container) if tx.op is Op.RELEASE else None
            if current is not None:
                before = view.document(current.ebl, current.released_by)
                countries.append((view.home_country(before) if before else None) or actor.country)
        return list(dict.fromkeys(countries)) or [actor.country]

    def _key_id(self, kid: str) -> str | None:
        """The id of the ledger key a certificate carries (``world_state.ledger_key_id``)."""
        if kid not in self._key_ids:
            der = self._identities.certificate(kid)
            self._key_ids[kid] = (
                ledger_key_id(x509.load_der_x509_certificate(der)) if der is not None else None
            )
        return self._key_ids[kid]

    def _check(self, signed: SignedTx, again: bool = True) -> _InFlight | Receipt:
        """Admission, the rules against every channel's mirror, and where the transaction
        goes; raises the refusal. A transaction this node indexed already is answered
        with its receipt."""
        if self._index.entry_of(signed.id) is not None:
            return self._receipt(signed.id, duplicate=True)
        tx = signed.tx
        actor = admit(signed, self._identities, self._clock())
        key_id = self._key_id(signed.kid)
        bound = self._index.signer(key_id) if key_id is not None else None
        if bound is not None and bound != actor.id:
            raise Refusal(
                RefusalKind.FORBIDDEN,
                f"this ledger key acts for {bound}; one key acts for one organisation",
            )
        refusal: Refusal | None = None
        try:
            effects = apply(tx, actor, self._view())
        except Refusal as refused:
            refusal = refused
        try:
            channel = self.channel_for(tx, actor.country)
        except Refusal as no_corridor:
            raise (refusal or no_corridor) from None
        if refusal is None:
            endorsers = self._endorsers(tx, effects, channel, actor)
            return _InFlight(signed, channel, actor.country, endorsers)
        if actor.country not in self._config.channels[channel]:
            raise refusal
        try:
            apply(tx, actor, self._view(channel))
        except Refusal as on_channel:
            if (on_channel.kind, on_channel.rule) != (refusal.kind, refusal.rule):
                raise refusal from None  # the other channels' state changes the answer
        else:
            if refusal.kind is RefusalKind.NOT_FOUND and again:
                # Another channel's records can only add refusals, never hide a record: the
                # index moved between the two reads (a follower catching up). Once more.
                return self._check(signed, again=False)
            raise refusal  # only another channel's state refuses it
        # The channel's own state refuses it: the chaincode, the authority there, answers
        # (with the same text, or with a receipt if this index was behind).
        return _InFlight(signed, channel, actor.country, [actor.country])

    # --- writing ------------------------------------------------------------------------

    def submit(self, signed: SignedTx) -> Receipt:
        return single(self.submit_many([signed]))

    def submit_many(self, signed: Sequence[SignedTx]) -> list[Receipt | Refusal]:
        """Endorse and submit each in turn without waiting for the previous commits; a
        transaction refused while earlier ones are in flight is endorsed again once they
        commit, which gives the outcome of a sequential submission."""
        if self._closed:
            raise RuntimeError("the ledger is closed")
        self._pending += len(signed)
        try:
            results: list[Receipt | Refusal | _InFlight] = []
            for item in signed:
                outcome = self._start(item)
                if isinstance(outcome, Refusal) and any(isinstance(r, _InFlight) for r in results):
                    results = [self._finish(r) if isinstance(r, _InFlight) else r for r in results]
                    outcome = self._start(item)
                results.append(outcome)
            return [self._finish(r) if isinstance(r, _InFlight) else r for r in results]
        finally:
            self._pending -= len(signed)

    def import_many(self, signed: Sequence[SignedTx]) -> list[int | Refusal]:
        return [r if isinstance(r, Refusal) else r.index for r in self.submit_many(signed)]

    def _start(self, signed: SignedTx) -> Receipt | Refusal | _InFlight:
        try:
            flight = self._check(signed)
            return flight if isinstance(flight, Receipt) else self._send(flight)
        except Refusal as refusal:
            return refusal

    def prepare(self, signed: SignedTx) -> Receipt | Refusal | _InFlight:
        """A submit's first step alone: admitted and endorsed, not yet ordered (then
        ``hand_over`` it to the orderers and ``finish`` it). For tests of races, where every
        transaction must be endorsed against the same state."""
        try:
            flight = self._check(signed)
            return flight if isinstance(flight, Receipt) else self._send(flight, order=False)
        except Refusal as refusal:
            return refusal

    def hand_over(self, flight: _InFlight) -> None:
        if flight.endorsed is None or flight.gateway is None:
            raise ValueError("hand_over takes a transaction from prepare")
        signer = self._signer_of(flight.signed.tx.actor)
        try:
            self._gateway(flight.gateway).submit(flight.endorsed, signer)
        except GatewayError as error:
            raise FabricError(
                f"the ordering service did not take {flight.signed.id}: {error}"
            ) from None

    def finish(self, flight: _InFlight) -> Receipt | Refusal:
        return self._finish(flight)

    def _signer_of(self, org_id: str) -> Signer:
        signer = self._signer(org_id)
        if signer is None:
            raise Refusal(RefusalKind.FORBIDDEN, f"this node holds no Fabric key of {org_id}")
        return signer

    def _send(self, flight: _InFlight, order: bool = True) -> Receipt | _InFlight:
        """Endorse (refusals raised) and submit (unless not ``order``); a duplicate is
        answered at once."""
        signed = flight.signed
        signer = self._signer_of(signed.tx.actor)
        args = [b"submit", signed.canonical]
        organisations = [policy.msp_id(c) for c in flight.endorsers]
        if flight.plan_by_gateway:
            organisations = []
        last: GatewayError | None = None
        for country in self._peer_order(flight.channel, flight.country):
            gateway = self._gateway(country)
            # The proposal's time is the node's clock, as the transaction's: the chaincode
            # holds one to the other.
            prop = proposal(signer, flight.channel, self._config.chaincode, args, now=self._clock())
            try:
                endorsed = gateway.endorse(prop, organisations)
            except GatewayError as error:
                refusal = refusal_of(error)
                if refusal is not None:
                    raise refusal from None
                if error.code in TRANSPORT:
                    last = error
                    continue  # that peer is down: another member's gateway
                why = diagnose(
                    signer,
                    self._config.tls_roots,
                    self._config.channels[flight.channel],
                    datetime.datetime.now(datetime.UTC),
                    error,
                )
                raise fabric_refusal(error, flight.channel, signed.tx.actor, why) from None
            if json.loads(endorsed.result).get("duplicate"):
                return self._receipt(signed.id, duplicate=True)
            if not order:
                flight.prop, flight.endorsed, flight.gateway = prop, endorsed, country
                return flight
            try:
                gateway.submit(endorsed, signer)
            except GatewayError as error:
                if error.code in TRANSPORT and not error.details:
                    last = error  # the gateway's peer is down: another member's
                    continue
                # The gateway answered for the orderers: with BFT it needs a quorum of them
                # (3 of 4) to take the transaction.
                raise FabricError(
                    f"the ordering service did not take {signed.id} on {flight.channel} "
                    f"({error}); submitting the same signed transaction again is safe "
                    "(it is committed at most once)"
                ) from None
            flight.prop, flight.endorsed, flight.gateway = prop, endorsed, country
            return flight
        raise FabricError(f"no peer of channel {flight.channel} answered: {last}")

    def _finish(self, flight: _InFlight) -> Receipt | Refusal:
        """Wait for the commit; endorse again after an MVCC conflict."""
        for _ in range(RETRY_CONFLICTS):
            status = self._status(flight)
            if status.valid:
                return self._receipt(flight.signed.id, duplicate=False)
            if status.name == "ENDORSEMENT_POLICY_FAILURE":
                with self._lock:
                    self.policy_failures += 1
                flight.plan_by_gateway = True  # the gateway plans from the keys' policies
            elif status.name in CONFLICTS:
                with self._lock:
                    self.mvcc_conflicts += 1
            else:
                raise FabricError(
                    f"transaction {flight.prop.tx_id if flight.prop else '?'} was invalidated: "
                    f"{status.name}"
                )
            try:
                sent = self._send(flight)
            except Refusal as refusal:
                return refusal
            if isinstance(sent, Receipt):
                return sent
        raise FabricError(f"{flight.signed.id} lost {RETRY_CONFLICTS} races in a row")

    def _status(self, flight: _InFlight) -> CommitStatus:
        """The commit status from the gateway that took the transaction, else (that peer
        is down) from another member's peer. A transaction submitted is never silently
        dropped: a peer reports its fate, or the caller gets an error saying it is unknown
        and that the same signed transaction may be submitted again (at most once)."""
        assert flight.prop is not None
        signer = self._signer_of(flight.signed.tx.actor)
        tx = f"Fabric transaction {flight.prop.tx_id} ({flight.signed.id})"
        last: GatewayError | None = None
        for country in self._peer_order(flight.channel, flight.gateway):
            try:
                return self._gateway(country).commit_status(
                    flight.channel, flight.prop.tx_id, signer, timeout=self._commit_timeout
                )
            except GatewayError as error:
                if error.code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise FabricError(
                        f"{tx} was not committed within {self._commit_timeout:.0f} s on channel "
                        f"{flight.channel}: the ordering service is not cutting blocks (SmartBFT "
                        "needs 3 of its 4 orderers). Its fate is unknown; submitting the same "
                        "signed transaction again is safe (it is committed at most once)"
                    ) from None
                last = error
        raise FabricError(
            f"the fate of {tx} is unknown: no peer of {flight.channel} answered ({last}); "
            "submitting the same signed transaction again is safe (it is committed at most once)"
        )

    def _receipt(self, tx_id: str, duplicate: bool) -> Receipt:
        entry = self._index.wait_for(tx_id, INDEX_WAIT)
        if entry is None:
            raise FabricError(f"{tx_id} committed but was not indexed within {INDEX_WAIT} s")
        seq, fabric_tx, block, channel = entry
        return Receipt(
            tx_id,
            seq,
            fabric_tx,
            "",
            [],
            [
                document_summary(d, self._index.record(d, issuer))
                for d, issuer in self._index.touched(seq)
            ],
            duplicate,
            engine="fabric",
            block=block,
            tx_hash=fabric_tx,
            channel=channel,
        )

    # --- private data -------------------------------------------------------------------

    def put_content(self, org_id: str, doc_id: str, content: bytes) -> int:
        """Put a document's bytes into its channel's private data collection (members
        only; the block carries only their hash). The committing block's number."""
        channel = self._channel_of(doc_id)
        if channel is None:
            raise Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
        signer = self._signer_of(org_id)
        country = policy.country_of(signer.msp_id)
        gateway = self._gateway(self._peer_order(channel, country)[0])
        prop = proposal(
            signer,
            channel,
            self._config.chaincode,
            [b"putContent", doc_id.encode()],
            transient={"content": content},
        )
        try:
            endorsed = gateway.endorse(prop, [signer.msp_id])
            gateway.submit(endorsed, signer)
            status = gateway.commit_status(channel, prop.tx_id, signer, self._commit_timeout)
        except GatewayError as error:
            refusal = refusal_of(error)
            if refusal is not None:
                raise refusal from None
            raise FabricError(f"putContent {doc_id}: {error}") from None
        if not status.valid:
            raise FabricError(f"putContent {doc_id} was invalidated: {status.name}")
        return status.block

    def content(self, doc_id: str) -> bytes | None:
        """A document's bytes from the private data collection, if this node's peer holds
        them (members of the channel only)."""
        channel = self._channel_of(doc_id)
        if channel is None:
            return None
        value = self._query(channel, "content", doc_id)
        return None if value is None else base64.b64decode(value)

    # --- the follower -------------------------------------------------------------------

    def _follow(self, channel: str) -> None:
        """Read the channel's chaincode events from the stored cursor, for ever; on a
        broken stream, reconnect (to another member's peer if need be)."""
        delay = 0.1
        attempt = 0
        while not self._closed:
            members = list(self._config.channels[channel])
            country = members[attempt % len(members)]
            signer = self._reader(channel)
            assert signer is not None
            try:
                stream = self._gateway(country).events(
                    channel, self._config.chaincode, signer, self._index.cursor(channel)
                )
                self._streams[channel] = stream
                for block, events in stream:
                    bodies = [(e.tx_id, json.loads(e.payload)) for e in events if e.name == EVENT]
                    self._index.apply_block(channel, block, bodies)
                    delay = 0.1
            except (GatewayError, grpc.RpcError, ValueError):
                if self._closed:
                    return
                attempt += 1
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    # --- reading ------------------------------------------------------------------------

    def _query(self, channel: str, function: str, *arguments: str) -> Any:
        reader = self._reader(channel)
        if reader is None:
            return None
        last: GatewayError | None = None
        args = [function.encode(), *(a.encode() for a in arguments)]
        for country in self._peer_order(channel, reader.msp_id[:2]):
            prop = proposal(reader, channel, self._config.chaincode, args)
            try:
                return json.loads(self._gateway(country).evaluate(prop))
            except GatewayError as error:
                if error.code not in TRANSPORT:
                    raise FabricError(f"{function} {arguments} on {channel}: {error}") from None
                last = error
        raise FabricError(f"no peer of {channel} answered {function}: {last}")

    def _document(
        self, channel: str, doc_id: str, issuer: str | None = None
    ) -> DocumentRecord | None:
        row = self._query(channel, "document", doc_id, *([issuer] if issuer else []))
        return None if row is None else document_from_row(tuple(row))

    def _pickup_right(self, channel: str, container: str) -> PickupRight | None:
        value = self._query(channel, "pickupRight", container)
        return None if value is None else right_from_json(json.dumps(value))

    def document(self, doc_id: str, issuer: str | None = None) -> DocumentRecord | None:
        """``issuer``'s record of the digest; without ``issuer``, the digest's first record
        (the one this node saw anchored first, on any of its channels). Read from the
        chaincode on the record's channel."""
        if not is_doc_id(doc_id):
            return None
        owner = self._index.issuer_of(doc_id, issuer)
        channel = self._index.channel_of_record(doc_id, owner) if owner else None
        if channel is not None:
            return self._document(channel, doc_id, owner)
        for name in self._config.channels:  # not indexed (yet): ask every channel
            found = self._document(name, doc_id, issuer)
            if found is not None:
                return found
        return None

    def issuers(self, doc_id: str) -> list[str]:
        """Every organisation that anchored the digest, the first to anchor it first (as
        this node's index saw them, on all its channels)."""
        return self._index.issuers(doc_id)

    def evidence(self, digest: str, issuer: str) -> Evidence | None:
        """``issuer``'s record of ``digest``, read from the chaincode on its channel, and
        that channel (see ``Ledger.evidence``); None if ``issuer`` anchored no such
        digest. Another organisation's record of the same digest is never the signer's."""
        if not is_doc_id(digest):
            return None
        channel = self._index.channel_of_record(digest, issuer)
        channels = [channel] if channel is not None else list(self._config.channels)
        for name in channels:  # not indexed (yet): ask every channel
            record = self._document(name, digest, issuer)
            if record is not None:
                read = ChannelRead(name, self._config.chaincode, self._index.cursor(name))
                return Evidence.of(record, read)
        return None

    def pickup_right(self, container: str) -> PickupRight | None:
        """The container's latest right (of all channels, the one written last)."""
        found = self._index.right(container)
        channels = [found[1]] if found else list(self._config.channels)
        for name in channels:
            right = self._pickup_right(name, container)
            if right is not None:
                return right
        return None

    def history(self, doc_id: str, issuer: str | None = None) -> list[HistoryEntry]:
        """The entries that touched ``issuer``'s record of the digest (by default its first
        record), in the order this node indexed them."""
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return []
        return self._index.entries(self._index.entry_seqs({(doc_id, owner)}))

    def trace(
        self, doc_id: str, issuer: str | None = None, max_documents: int = 100
    ) -> list[HistoryEntry]:
        """Every entry that touched the record (``issuer``'s, by default the digest's first)
        or any record in its provenance (see ``links``; transitively, bounded)."""
        owner = self._index.issuer_of(doc_id, issuer)
        if owner is None:
            return []
        return self._index.entries(
            self._index.entry_seqs(self._index.linked(doc_id, owner, max_documents))
        )

    def links(self, doc_id: str, issuer: str | None = None) -> list[str]:
        """The documents in the record's provenance: those it links to, those it supersedes
        or is superseded by, and those of its own country that link to it."""
        owner = self._index.issuer_of(doc_id, issuer)
        return [] if owner is None else self._index.links(doc_id, owner)

    def documents_for_container(self, container: str) -> list[str]:
        return self._index.documents_for_container(container)

    def held_by(self, org_id: str) -> list[str]:
        return self._index.held_by(org_id)

    def size(self) -> int:
        """Indexed entries: committed transactions of ours that changed the ledger."""
        return self._index.size()

    def queue_depth(self) -> int:
        return self._pending

    def head(self) -> dict[str, Any]:
        """What the fabric engine offers in place of a checkpoint: the chaincode and the
        indexed height of each channel."""
        return {
            "chaincode": self._config.chaincode,
            "channels": {c: self._index.cursor(c) for c in self._config.channels},
        }

    # --- housekeeping -------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams.values()):
            stream.cancel()
        for thread in self._followers:
            thread.join(timeout=5)
        with self._lock:
            for gateway in self._gateways.values():
                gateway.close()
            self._gateways.clear()
        self._index.close()


@dataclass
class _InFlight:
    signed: SignedTx
    channel: str
    country: str  # the actor's
    endorsers: list[str]  # the countries whose peers are asked to endorse
    prop: Proposal | None = None
    endorsed: Endorsed | None = None
    gateway: str | None = None
    plan_by_gateway: bool = False


def config_from(network: Mapping[str, Any], tls_roots: bytes, chaincode: str) -> FabricConfig:
    return FabricConfig(
        channels={c: tuple(m) for c, m in network["channels"].items()},
        peers={c: f"127.0.0.1:{p['listen']}" for c, p in network["peers"].items()},
        tls_roots=tls_roots,
        chaincode=chaincode,
    )


__all__ = [
    "FabricConfig",
    "FabricError",
    "FabricLedger",
    "config_from",
    "diagnose",
    "fabric_refusal",
    "refusal_of",
]
