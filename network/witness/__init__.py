"""Witnessed checkpoints between country nodes (C2SP tlog-witness and tlog-cosignature):
each node cosigns its peers' checkpoints after checking consistency, submits its own to its
peers, serves them with their cosignatures, and keeps re-checkable evidence of a peer that
showed two histories.

Offers ``Witness`` (the add-checkpoint service), ``Witnessing`` (the background submitter,
``notify()`` after a commit), ``WitnessPeer``/``register_peers``/``descriptor_fields`` (who
witnesses whom), ``witnesses_of``/``witnessed_logs`` (status), ``evidence_of`` and
``cosigned``/``latest_witnessed`` (the served checkpoint), ``witnesses(node)`` and
``witnessing_status`` (what ``tdx network status`` shows).
"""

from network.witness.cosigner import Cosigner, cosigner_of, witness_key_of
from network.witness.evidence import evidence_of
from network.witness.peers import (
    PeerError,
    WitnessedLog,
    WitnessPeer,
    WitnessState,
    descriptor_fields,
    register_peers,
    witnessed_logs,
    witnesses_of,
)
from network.witness.runner import Round, Witnessing
from network.witness.service import Observation, Witness, WitnessAnswer
from network.witness.status import WitnessingStatus, witnesses, witnessing_status
from network.witness.view import CosignedCheckpoint, cosigned, latest_witnessed

__all__ = [
    "CosignedCheckpoint",
    "Cosigner",
    "Observation",
    "PeerError",
    "Round",
    "Witness",
    "WitnessAnswer",
    "WitnessPeer",
    "WitnessState",
    "WitnessedLog",
    "Witnessing",
    "WitnessingStatus",
    "cosigned",
    "cosigner_of",
    "descriptor_fields",
    "evidence_of",
    "latest_witnessed",
    "register_peers",
    "witness_key_of",
    "witnessed_logs",
    "witnesses",
    "witnesses_of",
    "witnessing_status",
]
