"""How a witness catches a log that shows different histories to different witnesses.

A log can keep each witness's view consistent on its own. So each witness also reads the
other views: the checkpoint the log serves (with the cosignatures it gathered) and every
other witness's latest cosigned checkpoint of it (tlog-witness monitoring). Two roots of one
size are evidence at once; a checkpoint of another size is a dispute, settled by asking the
log for a consistency proof between the two: one that holds dismisses it, one that fails
(or a refusal) is the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.tlog.checkpoint import CheckpointError, open_note
from network.witness.client import PeerRefused, PeerUnreachable, WitnessClient
from network.witness.service import Observation, Witness


@dataclass(frozen=True)
class Settled:
    dispute: int
    origin: str
    outcome: str  # dismissed | flagged | open | dropped | gone
    detail: str


def gossip(witness: Witness, client: WitnessClient) -> list[Observation]:
    """Read every view of every peer log this witness serves, and observe each."""
    peers = witness.store.peers()
    seen: list[Observation] = []
    for log in peers:
        try:
            note = client.latest_checkpoint(log.url)
        except (PeerUnreachable, PeerRefused):
            pass  # the log's own view is optional: the witnesses' views are what it cannot fake
        else:
            seen.append(witness.observe(note, f"{log.name}'s node ({log.url})"))
        for other in peers:
            if other.origin == log.origin:
                continue
            try:
                view = client.witness_view(other.url, log.origin)
            except (PeerUnreachable, PeerRefused):
                continue
            if view is not None:
                seen.append(witness.observe(view, f"{other.name}'s witness ({other.url})"))
    return seen


def settle_disputes(witness: Witness, client: WitnessClient) -> list[Settled]:
    """Ask each disputed log for the proof between the two checkpoints, and settle."""
    peers = {p.origin: p for p in witness.store.peers()}
    results = []
    for dispute in witness.store.disputes():
        peer = peers.get(dispute.origin)
        if peer is None:
            outcome = witness.settle(dispute.id, None, "", "the log is no longer a peer")
            results.append(Settled(dispute.id, dispute.origin, outcome, "not a peer"))
            continue
        try:
            a = open_note(dispute.held_note, peer.log_key)
            b = open_note(dispute.other_note, peer.log_key)
        except CheckpointError as exc:  # the log's key changed since: nothing to prove
            outcome = witness.settle(dispute.id, None, "", f"cannot open the notes: {exc}")
            results.append(Settled(dispute.id, dispute.origin, outcome, str(exc)))
            continue
        old, new = sorted((a.size, b.size))
        source = f"{peer.name}'s node ({peer.url})"
        try:
            proof = client.consistency_proof(peer.url, old, new)
        except PeerUnreachable as exc:
            outcome = witness.settle(dispute.id, None, source, str(exc))
            results.append(Settled(dispute.id, dispute.origin, outcome, str(exc)))
            continue
        except PeerRefused as exc:
            if exc.status in {404, 405}:  # a node without the endpoint: not an answer
                outcome = witness.settle(dispute.id, None, source, str(exc))
            else:
                outcome = witness.settle(dispute.id, None, f"{source} refused: {exc}", None)
            results.append(Settled(dispute.id, dispute.origin, outcome, str(exc)))
            continue
        outcome = witness.settle(dispute.id, proof, source, None)
        results.append(Settled(dispute.id, dispute.origin, outcome, f"proof {old} -> {new}"))
    return results


__all__ = ["Settled", "gossip", "settle_disputes"]
