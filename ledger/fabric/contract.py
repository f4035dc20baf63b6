"""The tdx chaincode inside Fabric: ``chaincode.lifecycle.apply``, the one set of rules,
run against the peer's world state.

Functions (the first argument):

- ``submit <signed transaction JSON>``: check the signer (the Fabric creator is the
  organisation the transaction names, of its country's MSP, and the transaction carries a
  valid signature by the ledger key registered for it; its time is within the admission
  skew of the proposal's timestamp; the ledger key acts for no other organisation), apply
  the rules, write the effects, and emit the ``tdx`` event the indexers read. A refusal is
  a 400 response whose message is ``tdx-refusal:{"kind": ..., "rule": ...}``, the embedded
  engine's kind and text.
- ``register <[organisations]>``: a country admin enters its organisations (with their
  roles and ledger keys) in the registry, or foreign ones as parties that can hold
  documents; it also sets the country's marker key policy.
- ``putContent <doc id>`` (content in the transient field ``content``): a document's bytes
  into the channel members' private data collection ``content``; only its hash goes into
  the block. ``content <doc id>`` reads it back (members only).
- queries: ``document <digest> [<issuer>]`` (by default the digest's first record on this
  channel), ``issuers <digest>``, ``pickupRight``, ``organisation``, ``committed``.

Endorsement: every key the chaincode creates carries a key-level policy naming the peer of
the country its record belongs to (the record's issuing country, else its issuer's), and
every transaction writes the marker key of each country whose records it creates or
changes (a release: its eBL's), whose policy is the same; so any change to a record, and
its creation, needs that country's peer. A container's right key takes the policy of the
eBL it was last released under: a release under another country's eBL also needs the
peer of the country whose right it replaces.
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
    Anchor,
    Registered,
    StubView,
    anchor_key,
    batch_key,
    country_key,
    doc_key,
    encode_batch,
    encode_document,
    encode_right,
    ledger_key_id,
    org_key,
    released_key,
    right_key,
    signer_key,
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


def _authenticate(stub: Stub, signed: SignedTx, view: StubView) -> tuple[Registered, str]:
    """The chaincode's own admission: creator, registry, ledger signature, time, and the
    ledger key's organisation. The actor and its ledger key's id."""
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
    # A ledger key acts for the first organisation that signed with it, and for no other:
    # a certificate that another country registered over an organisation's key gives no
    # second identity to its signatures (as on the embedded engine).
    key_id = ledger_key_id(ledger_cert)
    bound = view.get(signer_key(key_id))
    if bound and bound.decode() != tx.actor:
        raise Refusal(
            RefusalKind.FORBIDDEN,
            f"this ledger key acts for {bound.decode()}; one key acts for one organisation",
        )
    return registered, key_id


def _country_of(effects: Effects, actor: Registered) -> str:
    for doc in effects.documents:
        if doc.country:
            return doc.country
    if effects.batch is not None and effects.batch.country:
        return effects.batch.country
    return actor.country


def _new_key(stub: Stub, key: str, value: bytes, country: str) -> None:
    stub.put_state(key, value)
    stub.set_validation_parameter(key, policy.peer_of(country))


def _write(stub: Stub, op: Op, effects: Effects, view: StubView, actor: Registered) -> list[str]:
    """Store the effects and set each new key's policy; the countries whose markers were
    written (those whose records the transaction creates or changes)."""
    assert stub.timestamp is not None  # checked by _authenticate
    at = stub.timestamp.isoformat()
    countries: list[str] = []
    for doc in effects.documents:
        country = view.home_country(doc) or actor.country
        key = doc_key(doc.id, doc.issuer)
        if view.get(key):
            stub.put_state(key, encode_document(doc))
        else:  # written singly, or a batch member changed for the first time
            _new_key(stub, key, encode_document(doc), country)
        if view.anchor(doc.id, doc.issuer) is None:
            anchor = Anchor(doc.issuer, at, stub.tx_id, None)
            _new_key(stub, anchor_key(doc.id, doc.issuer), anchor.to_bytes(), country)
        countries.append(country)
    for right in effects.rights:
        ebl = view.document(right.ebl, right.released_by)
        country = (view.home_country(ebl) if ebl else None) or actor.country
        key = right_key(right.container)
        stub.put_state(key, encode_right(right))
        if op is Op.RELEASE:
            # The right now belongs to this eBL: its country's peer guards it from here on
            # (this write itself needs the policy the key had, if another country's).
            stub.set_validation_parameter(key, policy.peer_of(country))
            released = released_key(right.container, right.ebl, right.released_by)
            if not view.get(released):
                _new_key(stub, released, b"1", country)
        countries.append(country)
    if effects.batch is not None:
        batch = effects.batch
        country = batch.country or actor.country
        _new_key(stub, batch_key(batch.root, batch.issuer), encode_batch(batch), country)
        for digest in batch.digests:
            anchor = Anchor(batch.issuer, at, stub.tx_id, batch.root)
            _new_key(stub, anchor_key(digest, batch.issuer), anchor.to_bytes(), country)
        countries.append(country)
    for country in dict.fromkeys(countries):
        # A blind write (never read): concurrent transactions do not conflict on it.
        stub.put_state(country_key(country), stub.tx_id.encode())
    return list(dict.fromkeys(countries))


def event_body(signed: SignedTx, effects: Effects) -> dict[str, Any]:
    """The ``tdx`` event of an accepted transaction: the signed transaction, the records
    it touched (digest and issuer), and the records and rights it wrote."""
    return {
        "signed": signed.wire,
        "id": signed.id,
        "touched": [list(key) for key in effects.touched_records],
        "documents": [list(document_to_row(d)) for d in effects.documents],
        "rights": [json.loads(right_to_json(r)) for r in effects.rights],
    }


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
        actor, key_id = _authenticate(stub, signed, view)
        effects = apply(signed.tx, actor.actor, view)
    except Refusal as refusal:
        return refusal_response(refusal)
    _write(stub, signed.tx.op, effects, view, actor)
    if not view.get(signer_key(key_id)):
        _new_key(stub, signer_key(key_id), actor.id.encode(), actor.country)
    stub.put_state(tx_key(signed.id), canonical_bytes({"fabricTx": stub.tx_id}))
    stub.set_event(EVENT, canonical_bytes(event_body(signed, effects)))
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
                # A party: it may hold documents here and be named (a release's terminal
                # must hold the terminal role), never act (no ledger key, no membership).
                org = Registered(org.id, org.country, org.roles, None, None)
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
    if not view.issuers(doc_id):
        return refusal_response(
            Refusal(RefusalKind.NOT_FOUND, f"document {doc_id} is not on the ledger")
        )
    stub.put_state(doc_id, content, collection=COLLECTION)
    return Response(OK, payload=canonical_bytes({"stored": doc_id, "bytes": len(content)}))


def _query(stub: Stub, function: str, argument: str, issuer: str | None) -> Response:
    view = StubView(stub)
    value: Any
    if function == "document":
        record = view.document(argument, issuer)
        value = list(document_to_row(record)) if record else None
    elif function == "issuers":
        value = view.issuers(argument)
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
        issuer = stub.args[2].decode() if len(stub.args) > 2 else None
    except (UnicodeDecodeError, binascii.Error) as exc:
        return refusal_response(Refusal(RefusalKind.INVALID, f"arguments: {exc}"))
    if function == "submit":
        return _submit(stub, argument)
    if function == "register":
        return _register(stub, argument)
    if function == "putContent":
        return _put_content(stub, argument.decode())
    try:
        return _query(stub, function, argument.decode(), issuer)
    except UnicodeDecodeError as exc:
        return refusal_response(Refusal(RefusalKind.INVALID, f"arguments: {exc}"))


__all__ = ["COLLECTION", "EVENT", "REFUSAL_PREFIX", "event_body", "invoke", "refusal_response"]
