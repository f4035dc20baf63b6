"""The tdx chaincode inside Fabric: ``chaincode.lifecycle.apply``, the one set of rules,
run against the peer's world state.

Functions (the first argument):

- ``submit <signed transaction JSON>``: check the signer (the Fabric creator is the
  organisation the transaction names, of its country's MSP, and the transaction carries a
  valid signature by the ledger key registered for it; its time is within the admission
  skew of the proposal's timestamp), apply the rules, write the effects, and emit the
  ``tdx`` event the indexers read. A refusal is a 400 response whose message is
  ``tdx-refusal:{"kind": ..., "rule": ...}``, the embedded engine's kind and text.
- ``register <[organisations]>``: a country admin enters its organisations (with their
  roles and ledger keys) in the registry, or foreign ones as parties that can hold
  documents; it also sets the country's marker key policy.
- ``putContent <doc id>`` (content in the transient field ``content``): a document's bytes
  into the channel members' private data collection ``content``; only its hash goes into
  the block. ``content <doc id>`` reads it back (members only).
- queries: ``document``, ``pickupRight``, ``organisation``, ``committed``.

Endorsement: every document key carries a key-level policy naming its issuing country's
peer, and creating a document writes that country's marker key, whose policy is the same;
so any change to a document, and its creation, needs the issuing country's peer.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from chaincode.canonical import canonical_bytes
from chaincode.lifecycle import Effects, Refusal, RefusalKind, apply
from chaincode.transactions import Op, utc
from identity.certificates import fingerprint, public_key_of
from identity.tx_keys import TxVerifier
from ledger.admission import MAX_SKEW, batch_root
from ledger.fabric import policy
from ledger.fabric.shim import ERROR_THRESHOLD, OK, Response, Stub
from ledger.fabric.world_state import (
    Registered,
    StubView,
    batch_key,
    country_key,
    doc_key,
    encode_batch,
    encode_document,
    encode_right,
    member_key,
    org_key,
    right_key,
    tx_key,
)
from ledger.records_codec import document_to_row, right_to_json
from ledger.signed_tx import MalformedTransactionError, SignedTx, parse

EVENT = "tdx"
REFUSAL_PREFIX = "tdx-refusal:"
COLLECTION = "content"


def refusal_response(refusal: Refusal) -> Response:
    body = json.dumps({"kind": refusal.kind.value, "rule": refusal.rule}, ensure_ascii=False)
    return Response(ERROR_THRESHOLD, REFUSAL_PREFIX + body)


def _creator_certificate(stub: Stub) -> x509.Certificate:
    if stub.creator is None:
        raise Refusal(RefusalKind.FORBIDDEN, "the proposal names no creator")
    return x509.load_pem_x509_certificate(stub.creator.certificate)


def _ous(cert: x509.Certificate) -> set[str]:
    return {
        str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    }


def _common_name(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def _authenticate(stub: Stub, signed: SignedTx, view: StubView) -> Registered:
    """The chaincode's own admission: creator, registry, ledger signature, time."""
    tx = signed.tx
    registered = view.registered(tx.actor)
    if registered is None or registered.kid is None or registered.ledger_cert is None:
        raise Refusal(RefusalKind.FORBIDDEN, f"{tx.actor} is not registered on this channel")
    cert = _creator_certificate(stub)
    assert stub.creator is not None
    if stub.creator.msp_id != policy.msp_id(registered.country):
        raise Refusal(
            RefusalKind.FORBIDDEN,
            f"signed in Fabric by {stub.creator.msp_id}, not {policy.msp_id(registered.country)}",
        )
    if _common_name(cert) != tx.actor or "client" not in _ous(cert):
        raise Refusal(
            RefusalKind.FORBIDDEN,
            f"the Fabric creator {_common_name(cert)} is not {tx.actor}'s client identity",
        )
    if signed.kid != registered.kid:
        raise Refusal(RefusalKind.FORBIDDEN, f"{signed.kid} is not {tx.actor}'s ledger certificate")
    ledger_cert = x509.load_pem_x509_certificate(registered.ledger_cert.encode())
    if not TxVerifier(public_key_of(ledger_cert)).verify(signed.signature, signed.signed_bytes):
        raise Refusal(RefusalKind.FORBIDDEN, f"the signature is not {tx.actor}'s")
    if stub.timestamp is None or abs(tx.time - stub.timestamp) > MAX_SKEW:
        when = utc(stub.timestamp) if stub.timestamp else "none"
        raise Refusal(
            RefusalKind.INVALID,
            f"transaction time {utc(tx.time)} is more than {MAX_SKEW} from the ledger's "
            f"clock ({when})",
        )
    if tx.op is Op.ANCHOR_BATCH and tx.doc != batch_root(tx.digests):
        raise Refusal(RefusalKind.INVALID, "doc is not the Merkle root of the batch's digests")
    return registered


def _country_of(effects: Effects, actor: Registered) -> str:
    for doc in effects.documents:
        if doc.country:
            return doc.country
    if effects.batch is not None and effects.batch.country:
        return effects.batch.country
    return actor.country


def _write(stub: Stub, effects: Effects, view: StubView, actor: Registered) -> list[str]:
    """Store the effects; set each new key's policy; the countries whose marker was
    written (a created document)."""
    created: list[str] = []
    for doc in effects.documents:
        key = doc_key(doc.id)
        is_new = not stub.get_state(key)
        stub.put_state(key, encode_document(doc))
        if is_new:
            country = doc.country or actor.country
            stub.set_validation_parameter(key, policy.peer_of(country))
            created.append(country)
    for right in effects.rights:
        key = right_key(right.container)
        is_new = not stub.get_state(key)
        stub.put_state(key, encode_right(right))
        if is_new:
            ebl = view.document(right.ebl)
            stub.set_validation_parameter(
                key, policy.peer_of((ebl.country if ebl else None) or actor.country)
            )
    if effects.batch is not None:
        batch = effects.batch
        stub.put_state(batch_key(batch.root), encode_batch(batch))
        stub.set_validation_parameter(
            batch_key(batch.root), policy.peer_of(batch.country or actor.country)
        )
        root = batch.root.encode()
        for digest in batch.digests:
            stub.put_state(member_key(digest), root)
        created.append(batch.country or actor.country)
    for country in dict.fromkeys(created):
        # A blind write (never read): concurrent creations do not conflict on it.
        stub.put_state(country_key(country), stub.tx_id.encode())
    return created


def _submit(stub: Stub, wire: bytes) -> Response:
    try:
        signed = parse(wire)
    except MalformedTransactionError as exc:
        return refusal_response(Refusal(RefusalKind.INVALID, str(exc)))
    previous = stub.get_state(tx_key(signed.id))
    if previous:
        return Response(OK, payload=canonical_bytes({"duplicate": True, **json.loads(previous)}))
    view = StubView(stub)
    try:
        actor = _authenticate(stub, signed, view)
        effects = apply(signed.tx, actor.actor, view)
    except Refusal as refusal:
        return refusal_response(refusal)
    _write(stub, effects, view, actor)
    stub.put_state(tx_key(signed.id), canonical_bytes({"fabricTx": stub.tx_id}))
    event = {
        "signed": signed.wire,
        "id": signed.id,
        "touched": effects.touched,
        "documents": [list(document_to_row(d)) for d in effects.documents],
        "rights": [json.loads(right_to_json(r)) for r in effects.rights],
    }
    stub.set_event(EVENT, canonical_bytes(event))
    summary = {
        "id": signed.id,
        "touched": effects.touched[:5],
        "country": _country_of(effects, actor),
    }
    return Response(OK, payload=canonical_bytes(summary))


def _register(stub: Stub, body: bytes) -> Response:
    """A country admin registers organisations (see the module's docstring)."""
    try:
        cert = _creator_certificate(stub)
        assert stub.creator is not None
        country = policy.country_of(stub.creator.msp_id)
        if "admin" not in _ous(cert):
            raise Refusal(RefusalKind.FORBIDDEN, "only a country's admin registers organisations")
        items = json.loads(body)
        if not isinstance(items, list):
            raise Refusal(RefusalKind.INVALID, "register takes a list of organisations")
        view = StubView(stub)
        entered = []
        for item in items:
            org = Registered.from_json(item)
            if org.country == country:
                if org.kid is None or org.ledger_cert is None:
                    raise Refusal(RefusalKind.INVALID, f"{org.id} needs kid and ledgerCert")
                ledger_cert = x509.load_pem_x509_certificate(org.ledger_cert.encode())
                if fingerprint(ledger_cert) != org.kid:
                    raise Refusal(RefusalKind.INVALID, f"{org.id}: kid is not its certificate's")
            else:
                if view.registered(org.id) is not None:
                    continue  # its own country registered it, or it is a party already
                org = Registered(org.id, org.country, frozenset(), None, None)
            key = org_key(org.id)
            stub.put_state(key, org.to_bytes())
            if org.country == country:
                stub.set_validation_parameter(key, policy.peer_of(country))
            entered.append(org.id)
        marker = country_key(country)
        if not stub.validation_parameter(marker):
            stub.put_state(marker, b"registered")
            stub.set_validation_parameter(marker, policy.peer_of(country))
    except (ValueError, KeyError, TypeError) as exc:
        return refusal_response(Refusal(RefusalKind.INVALID, f"register: {exc}"))
    except Refusal as refusal:
        return refusal_response(refusal)
    return Response(OK, payload=canonical_bytes({"registered": entered}))


def _put_content(stub: Stub, doc_id: str) -> Response:
    content = stub.transient.get("content")
    if content is None:
        return refusal_response(Refusal(RefusalKind.INVALID, "putContent needs transient content"))
    view = StubView(stub)
    if view.document(doc_id) is None:
        return refusal_response(
            Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
        )
    stub.put_state(doc_id, content, collection=COLLECTION)
    return Response(OK, payload=canonical_bytes({"stored": doc_id, "bytes": len(content)}))


def _query(stub: Stub, function: str, argument: str) -> Response:
    view = StubView(stub)
    value: Any
    if function == "document":
        record = view.document(argument)
        value = list(document_to_row(record)) if record else None
    elif function == "pickupRight":
        right = view.pickup_right(argument)
        value = json.loads(right_to_json(right)) if right else None
    elif function == "organisation":
        found = view.registered(argument)
        value = json.loads(found.to_bytes()) if found else None
    elif function == "committed":
        data = stub.get_state(tx_key(argument))
        value = json.loads(data) if data else None
    elif function == "content":
        data = stub.get_state(argument, collection=COLLECTION)
        value = base64.b64encode(data).decode() if data else None
    else:
        return refusal_response(Refusal(RefusalKind.INVALID, f"unknown function {function}"))
    return Response(OK, payload=canonical_bytes(value))


def invoke(stub: Stub) -> Response:
    """The chaincode's entry point for every proposal."""
    if not stub.args:
        return refusal_response(Refusal(RefusalKind.INVALID, "no function named"))
    try:
        function = stub.args[0].decode()
        argument = stub.args[1] if len(stub.args) > 1 else b""
    except (UnicodeDecodeError, binascii.Error) as exc:
        return refusal_response(Refusal(RefusalKind.INVALID, f"arguments: {exc}"))
    if function == "submit":
        return _submit(stub, argument)
    if function == "register":
        return _register(stub, argument)
    if function == "putContent":
        return _put_content(stub, argument.decode())
    return _query(stub, function, argument.decode())


__all__ = ["COLLECTION", "EVENT", "REFUSAL_PREFIX", "invoke", "refusal_response"]
