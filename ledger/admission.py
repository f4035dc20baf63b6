"""What every engine checks before the chaincode sees a transaction: its time is near
the ledger's clock, its signer is trusted at that time, the signature is the signer's,
and a batch's root is the root of its digests. One place, so both engines refuse alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Actor
from chaincode.transactions import Op, utc
from ledger.interface import Identities
from ledger.signed_tx import SignedTx
from ledger.tlog import merkle

MAX_SKEW = datetime.timedelta(minutes=5)


def batch_root(digests: Sequence[str]) -> str:
    """The Merkle root (RFC 9162) over a batch's document ids, as a document id."""
    return "sha256:" + merkle.root_of_batch([d.encode() for d in digests]).hex()


def admit(signed: SignedTx, identities: Identities, now: datetime.datetime) -> Actor:
    """The acting organisation, or a ``Refusal`` naming the first check that failed."""
    tx = signed.tx
    if abs(tx.time - now) > MAX_SKEW:
        raise Refusal(
            RefusalKind.INVALID,
            f"transaction time {utc(tx.time)} is more than {MAX_SKEW} from the ledger's "
            f"clock ({utc(now)})",
        )
    actor, verifier = identities.authenticate(tx.actor, signed.kid, tx.time)
    if not verifier.verify(signed.signature, signed.signed_bytes):
        raise Refusal(RefusalKind.FORBIDDEN, f"the signature is not {tx.actor}'s")
    if tx.op is Op.ANCHOR_BATCH and tx.doc != batch_root(tx.digests):
        raise Refusal(RefusalKind.INVALID, "doc is not the Merkle root of the batch's digests")
    return actor
