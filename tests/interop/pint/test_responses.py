"""Every PINT response code, each from a crafted envelope, answered signed by the receiver.

The receiver is called as the router calls it (``test_schemathesis.py`` checks answers on
the wire against DCSA's OpenAPI file). Each answer is verified with the receiver's key and its HTTP
status must be the one DCSA pairs with its code.
"""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from interop.pint import LocalControl, ResponseCode, transport_document_checksum
from interop.pint.signatures import key_id
from network.home import Home
from tests.interop.pint.crafting import (
    PREVIOUS,
    Draft,
    answer,
    b64,
    code_of,
    document,
    draft,
    first_entry,
    payload_of,
    raw_jws,
    tx,
)
from tests.interop.pint.platforms import example_td

BENV, BSIG, DISE = ResponseCode.BENV, ResponseCode.BSIG, ResponseCode.DISE


@pytest.fixture
def ab(net):
    return net.build("AEOT", served=False), net.build("SGTD", served=False)


def start(b, body):
    return b.receiver.start(body)


def refused(b, body, code, *words):
    reply = start(b, body)
    found = answer(reply, b.receiver.ring)
    assert found.responseCode is code, found
    for word in words:
        assert word in (found.reason or ""), found.reason
    assert b.store.count_accepted(transport_document_checksum(body["transportDocument"])) == 0
    return found


def test_a_sound_envelope_is_received(ab):
    a, b = ab
    td = example_td()
    reply = start(b, draft(a, b, td).body())
    found = answer(reply, b.receiver.ring)
    assert found.responseCode is ResponseCode.RECE
    assert found.reason is None  # DCSA: omitted for RECE
    assert found.receivedAdditionalDocumentChecksums == []
    assert b.ledger.control(transport_document_checksum(td)) is LocalControl.HELD


# --- BSIG --------------------------------------------------------------------------------


def test_bsig_manifest_signed_by_an_unknown_key(ab, platform_keys):
    a, b = ab
    d = draft(a, b, example_td())
    stranger = type(a.signer).of("AEOT", ec.generate_private_key(ec.SECP256R1()))
    d.manifest_signer = stranger
    refused(b, d.body(), BSIG, "unknown signing key")


def test_bsig_tampered_entry_signature(ab):
    a, b = ab
    d = draft(a, b, example_td())
    chain = d.chain()
    head, payload, signature = chain[0].split(".")
    flipped = ("B" if signature[5] == "A" else "A").join((signature[:5], signature[6:]))
    refused(b, d.body([f"{head}.{payload}.{flipped}"]), BSIG, "does not verify")


def test_bsig_entry_for_one_platform_signed_with_anothers_key(ab, platform_keys):
    a, b = ab
    d = draft(a, b, example_td())
    d.signers = [platform_keys["IQAX"]]  # an AEOT entry, an IQAX key
    d.manifest_signer = platform_keys["IQAX"]
    refused(b, d.body(), BSIG, "for platform 'AEOT' but signed with a IQAX key")


@pytest.mark.parametrize(
    ("header", "how", "words"),
    [
        ({"alg": "none"}, "unsigned", "'none' is not allowed"),
        ({"alg": "HS256"}, "hmac", "'HS256' is not allowed"),
        ({"alg": "EdDSA"}, "key", "'EdDSA' is not allowed"),
        ({"alg": "RS256"}, "key", "RS256 does not fit"),
        ({"alg": "ES256"}, "key", "has no kid"),
        ({"alg": "ES256", "jwk": {"kty": "EC"}}, "key", "'jwk' is refused"),
        ({"alg": "ES256", "crit": ["exp"]}, "key", "'crit' is refused"),
        ({"alg": "ES256", "b64": False}, "key", "'b64' is refused"),
    ],
)
def test_bsig_the_algorithm_and_header_are_never_the_inputs_choice(ab, header, how, words):
    a, b = ab
    d = draft(a, b, example_td())
    body = d.body()
    manifest = payload_of(body["envelopeManifestSignedContent"])
    header = dict(header)
    if "kid" not in header and words != "has no kid":
        header["kid"] = a.signer.kid
    key = a.signer.key if how == "key" else None
    secret = a.signer.kid.encode() if how == "hmac" else None
    body["envelopeManifestSignedContent"] = raw_jws(header, manifest, key, secret)
    refused(b, body, BSIG, words)


def test_bsig_an_ed25519_platform_key_is_not_a_pint_key(demo_home: Home):
    # Singapore Customs' demo key is Ed25519: PINT allows PS256, RS256 and ES256 only.
    key = demo_home.signing_key("sg-customs")
    with pytest.raises(ValueError, match="cannot sign PINT content"):
        key_id(key.public_key())


def test_bsig_issuance_manifest_not_signed_by_the_carriers_platform(ab, platform_keys):
    a, b = ab
    td = example_td()
    d = draft(a, b, td)
    other = platform_keys["IQAX"]
    entry = d.entries[0]
    im = payload_of(entry["issuanceManifestSignedContent"])
    entry["issuanceManifestSignedContent"] = other.sign(im)
    refused(b, d.body(), BSIG, "not by the carrier's platform AEOT")


# --- BENV --------------------------------------------------------------------------------


def test_benv_transport_document_changed_after_signing(ab):
    a, b = ab
    d = draft(a, b, example_td())
    body = d.body()
    body["transportDocument"] = dict(body["transportDocument"], issueDate="2026-03-12")
    refused(b, body, BENV, "transportDocumentChecksum is not the SHA-256")


def test_benv_an_entry_about_another_transport_document(ab):
    a, b = ab
    d = draft(a, b, example_td())
    d.entries[0]["transportDocumentChecksum"] = transport_document_checksum(example_td("OTHER1"))
    refused(b, d.body(), BENV, "entry 0 is about another transport document")


def test_benv_manifest_names_another_last_entry(ab):
    a, b = ab
    d = draft(a, b, example_td())
    d.manifest_extra = {"lastEnvelopeTransferChainEntrySignedContentChecksum": "0" * 64}
    refused(b, d.body(), BENV, "is not the last chain entry's")


def test_benv_first_entry_with_a_previous_checksum(ab):
    a, b = ab
    d = draft(a, b, example_td())
    d.entries[0][PREVIOUS] = "1" * 64
    refused(b, d.body(), BENV, "the first entry has no previous-entry checksum")


def test_benv_broken_link_between_entries(net):
    a, b, c = (net.build(code, served=False) for code in ("AEOT", "SGTD", "IQAX"))
    td = example_td()
    first = first_entry(a, td, c.party("ru-importer"))
    second = {
        "eblPlatform": "IQAX",
        "transportDocumentChecksum": transport_document_checksum(td),
        PREVIOUS: "2" * 64,
        "transactions": [tx("TRANSFER", c.party("ru-importer"), b.party("sg-importer"), 5)],
    }
    d = Draft(td, [first, second], [a.signer, c.signer], c.signer)
    refused(b, d.body(), BENV, "entry 1's previous-entry checksum is not entry 0's")


def test_benv_recipient_on_another_platform(net):
    a, b, c = (net.build(code, served=False) for code in ("AEOT", "SGTD", "IQAX"))
    d = Draft(
        example_td(), [first_entry(a, example_td(), c.party("ru-importer"))], [a.signer], a.signer
    )
    refused(b, d.body(), BENV, "for platform IQAX, not this one (SGTD)")


def test_benv_recipient_unknown_here(ab):
    a, b = ab
    ghost = b.party("sg-importer").model_copy(update={"identifyingCodes": [b.code_of("sg-nobody")]})
    d = Draft(example_td(), [first_entry(a, example_td(), ghost)], [a.signer], a.signer)
    refused(b, d.body(), BENV, "no account on SGTD")


def _one_entry(a, b, transactions, td=None):
    td = td or example_td()
    entry = first_entry(a, td, b.party("sg-importer"))
    entry["transactions"] = transactions
    return Draft(td, [entry], [a.signer], a.signer)


def test_benv_issue_must_come_first_and_once(ab):
    a, b = ab
    cosco, exporter, importer = a.party("cn-cosco"), a.party("cn-exporter"), b.party("sg-importer")
    d = _one_entry(a, b, [tx("TRANSFER", cosco, importer)])
    refused(b, d.body(), BENV, "the first transaction must be ISSUE")
    d = _one_entry(
        a,
        b,
        [
            tx("ISSUE", cosco, exporter),
            tx("ISSUE", cosco, exporter, 1),
            tx("TRANSFER", exporter, importer, 2),
        ],
    )
    refused(b, d.body(), BENV, "ISSUE comes exactly once")


def test_benv_unknown_action_code(ab):
    a, b = ab
    cosco, exporter, importer = a.party("cn-cosco"), a.party("cn-exporter"), b.party("sg-importer")
    # TRNS is PINT 2's code; 3.0.0 writes TRANSFER.
    d = _one_entry(a, b, [tx("ISSUE", cosco, exporter), tx("TRNS", exporter, importer, 1)])
    refused(b, d.body(), BENV, "actionCode 'TRNS' is not one of")


@pytest.mark.parametrize(
    "when", ["2026-03-11T08:01:00Z", "2026-03-11T16:01:00.000+08:00", "2026-03-11T08:01:00.0001Z"]
)
def test_benv_action_time_is_utc_with_milliseconds(ab, when):
    a, b = ab
    cosco, exporter, importer = a.party("cn-cosco"), a.party("cn-exporter"), b.party("sg-importer")
    late = tx("TRANSFER", exporter, importer, 1)
    late["actionDateTime"] = when
    d = _one_entry(a, b, [tx("ISSUE", cosco, exporter), late])
    refused(b, d.body(), BENV, "not RFC 3339 UTC with milliseconds")


def test_benv_action_time_going_back(ab):
    a, b = ab
    cosco, exporter, importer = a.party("cn-cosco"), a.party("cn-exporter"), b.party("sg-importer")
    d = _one_entry(a, b, [tx("ISSUE", cosco, exporter, 9), tx("TRANSFER", exporter, importer, 1)])
    refused(b, d.body(), BENV, "goes back in time")


def test_benv_only_the_possessor_transfers(ab):
    a, b = ab
    cosco, boc, importer = a.party("cn-cosco"), a.party("cn-boc"), b.party("sg-importer")
    d = _one_entry(
        a, b, [tx("ISSUE", cosco, a.party("cn-exporter")), tx("TRANSFER", boc, importer, 1)]
    )
    refused(b, d.body(), BENV, "is not the possessor")


def test_benv_a_surrender_goes_to_the_issuing_carrier(net):
    a, b = net.build("AEOT", served=False), net.build("SGTD", served=False)
    td = example_td()
    # The eBL was issued to sg-importer (on SGTD), who surrenders it to a bank, not the carrier.
    cosco, importer = a.party("cn-cosco"), b.party("sg-importer")
    entry0 = first_entry(a, td, importer)
    entry0["transactions"] = [tx("ISSUE", cosco, importer)]
    entry1 = {
        "eblPlatform": "SGTD",
        "transportDocumentChecksum": transport_document_checksum(td),
        "transactions": [tx("SURRENDER_FOR_DELIVERY", importer, a.party("cn-boc"), 3)],
    }
    d = Draft(td, [entry0, entry1], [a.signer, b.signer], b.signer)
    refused(a, d.body(), BENV, "a surrender is addressed to the carrier that issued the eBL")


def test_benv_nothing_follows_sacc(net):
    a, b = net.build("AEOT", served=False), net.build("SGTD", served=False)
    td = example_td()
    cosco, importer = a.party("cn-cosco"), b.party("sg-importer")
    entry0 = first_entry(a, td, importer)
    entry0["transactions"] = [tx("ISSUE", cosco, importer)]
    entry1 = {
        "eblPlatform": "SGTD",
        "transportDocumentChecksum": transport_document_checksum(td),
        "transactions": [tx("SURRENDER_FOR_DELIVERY", importer, cosco, 2)],
    }
    entry2 = {
        "eblPlatform": "AEOT",
        "transportDocumentChecksum": transport_document_checksum(td),
        "transactions": [
            tx("SACC", cosco, importer, 3),
            tx("TRANSFER", cosco, importer, 4),
        ],
    }
    d = Draft(td, [entry0, entry1, entry2], [a.signer, b.signer, a.signer], a.signer)
    refused(b, d.body(), BENV, "nothing may follow SACC")


def test_benv_the_first_entry_carries_the_issuance_manifest(ab):
    a, b = ab
    d = draft(a, b, example_td())
    del d.entries[0]["issuanceManifestSignedContent"]
    refused(b, d.body(), BENV, "no issuanceManifestSignedContent")


def test_benv_a_registry_guarded_ebl_cannot_be_accepted_without_the_registry(ab):
    a, b = ab
    d = draft(a, b, example_td())
    d.entries[0]["controlTrackingRegistry"] = "https://ctr.dcsa.org/v1"
    refused(b, d.body(), BENV, "control tracking registry")


def test_benv_the_carrier_issued_another_document(ab):
    a, b = ab
    td = example_td()
    d = draft(a, b, td)
    other = draft(a, b, example_td("OTHER2")).entries[0]["issuanceManifestSignedContent"]
    d.entries[0]["issuanceManifestSignedContent"] = other
    refused(b, d.body(), BENV, "the carrier issued another transport document")


def test_benv_transport_document_breaking_dcsa_rules(ab):
    a, b = ab
    td = example_td()
    td["utilizedTransportEquipments"][0]["equipment"]["equipmentReference"] = "CXRU1523419"
    refused(b, draft(a, b, td).body(), BENV, "iso6346_check_digit")


def test_benv_envelope_that_breaks_dcsas_schema(ab):
    a, b = ab
    body = draft(a, b, example_td()).body()
    del body["envelopeManifestSignedContent"]
    refused(b, body, BENV, "envelopeManifestSignedContent")


def test_benv_an_envelope_that_has_no_rfc_8785_form(ab):
    a, b = ab
    body = draft(a, b, example_td()).body()
    body["transportDocument"] = {**body["transportDocument"], "declaredValue": 2**64}  # > I-JSON
    found = answer(start(b, body), b.receiver.ring)
    assert found.responseCode is BENV
    assert "not I-JSON" in found.reason


def test_an_envelope_without_a_chain_gets_an_unsigned_error(ab):
    a, b = ab
    body = draft(a, b, example_td()).body()
    body["envelopeTransferChain"] = []
    reply = start(b, body)
    assert reply.status == 400
    assert reply.error
    assert "BENV" in reply.error


def test_benv_an_endorsement_alone_moves_nothing_here(ab):
    a, b = ab
    cosco, exporter, importer = a.party("cn-cosco"), a.party("cn-exporter"), b.party("sg-importer")
    d = _one_entry(a, b, [tx("ISSUE", cosco, exporter), tx("ENDORSE", exporter, importer, 1)])
    refused(b, d.body(), BENV, "passes nothing to this platform")


def test_benv_this_platforms_own_entry_sent_back_to_it(ab):
    a, _b = ab
    td = example_td()
    d = Draft(td, [first_entry(a, td, a.party("cn-boc"))], [a.signer], a.signer)
    refused(a, d.body(), BENV, "the last entry is this platform's own")


def test_a_signed_rejection_is_final_for_that_envelope(ab):
    # A replay of a refused envelope gets the same answer, byte for byte, even after the
    # reason went away: the sender took control back when it got the rejection.
    a, b = ab
    d = draft(a, b, example_td())
    stranger = type(a.signer).of("AEOT", ec.generate_private_key(ec.SECP256R1()))
    d.manifest_signer = stranger
    body = d.body()
    first = start(b, body)
    assert code_of(first, b.receiver.ring) is BSIG
    b.receiver.ring.add("AEOT", stranger.public_key())  # the key becomes known
    assert start(b, body) == first


# --- DISE ---------------------------------------------------------------------------------


def test_dise_the_chain_departs_from_what_this_platform_accepted(ab):
    a, b = ab
    td = example_td()
    assert code_of(start(b, draft(a, b, td).body()), b.receiver.ring) is ResponseCode.RECE
    # Another first entry for the same eBL (signed again, a minute later): a second branch.
    fork = Draft(td, [first_entry(a, td, b.party("sg-dbs"), minute=1)], [a.signer], a.signer)
    refused_fork = answer(start(b, fork.body()), b.receiver.ring)
    assert refused_fork.responseCode is DISE
    assert "departs from this platform's history at entry 0" in refused_fork.reason
    assert b.store.count_accepted(transport_document_checksum(td)) == 1


def test_dise_this_platform_holds_the_ebl(ab):
    a, b = ab
    td = example_td()
    b.ledger.issue(transport_document_checksum(td), "sg-dbs", "sg-dbs")
    refused(b, draft(a, b, td).body(), DISE, "a party on this platform controls this eBL")


# --- DUPE ---------------------------------------------------------------------------------


def test_dupe_for_the_same_envelope_and_for_its_last_entry_signed_again(ab):
    a, b = ab
    td = example_td()
    d = draft(a, b, td)
    chain = d.chain()
    first = answer(start(b, d.body(chain)), b.receiver.ring)
    assert first.responseCode is ResponseCode.RECE

    again = answer(start(b, d.body(chain)), b.receiver.ring)
    assert again.responseCode is ResponseCode.DUPE
    assert again.duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent == chain[-1]
    assert again.receivedAdditionalDocumentChecksums == []

    resigned = d.chain()  # ES256 signatures differ each time; the payload is the same
    assert resigned != chain
    dupe = answer(start(b, d.body(resigned)), b.receiver.ring)
    assert dupe.responseCode is ResponseCode.DUPE
    assert dupe.duplicateOfAcceptedEnvelopeTransferChainEntrySignedContent == chain[-1]
    assert b.store.count_accepted(transport_document_checksum(td)) == 1
    assert len(b.ledger.moves(transport_document_checksum(td), "in")) == 1


# --- MDOC, INCD and the documents ---------------------------------------------------------

INVOICE = b"%PDF-1.7 commercial invoice 0417"
PACKING = b"%PDF-1.7 packing list 0417"


def test_mdoc_incd_then_rece(ab):
    a, b = ab
    td = example_td()
    d = draft(a, b, td)
    d.documents = [document(INVOICE), document(PACKING, "packing.pdf", size=len(PACKING) + 1)]
    body = d.body()
    started = start(b, body)
    assert started.status == 201
    ref = started.body["envelopeReference"]
    assert started.body["missingAdditionalDocumentChecksums"] == [
        x["documentChecksum"] for x in d.documents
    ]
    assert started.body["transportDocumentChecksum"] == transport_document_checksum(td)

    mdoc = answer(b.receiver.finish(ref), b.receiver.ring)
    assert mdoc.responseCode is ResponseCode.MDOC
    assert mdoc.missingAdditionalDocumentChecksums == [x["documentChecksum"] for x in d.documents]

    invoice, packing = (x["documentChecksum"] for x in d.documents)
    wrong = answer(b.receiver.upload(ref, invoice, b64(PACKING)), b.receiver.ring)
    assert wrong.responseCode is ResponseCode.INCD
    assert "SHA-256" in wrong.reason
    undeclared = answer(b.receiver.upload(ref, "a" * 64, b64(INVOICE)), b.receiver.ring)
    assert undeclared.responseCode is ResponseCode.INCD
    assert "not declared" in undeclared.reason
    size = answer(b.receiver.upload(ref, packing, b64(PACKING)), b.receiver.ring)
    assert size.responseCode is ResponseCode.INCD
    assert "bytes; the manifest says" in size.reason
    assert b.receiver.upload(ref, invoice, "not base64!").status == 400

    assert b.receiver.upload(ref, invoice, b64(INVOICE)).status == 204
    still = answer(b.receiver.finish(ref), b.receiver.ring)
    assert still.missingAdditionalDocumentChecksums == [packing]
    assert b.ledger.control(transport_document_checksum(td)) is LocalControl.ABSENT


def test_finish_after_every_document_is_rece_and_stays_the_same_answer(ab):
    a, b = ab
    td = example_td()
    d = draft(a, b, td)
    d.documents = [document(INVOICE), document(PACKING, "packing.pdf")]
    ref = start(b, d.body()).body["envelopeReference"]
    for content, meta in zip((INVOICE, PACKING), d.documents, strict=True):
        assert b.receiver.upload(ref, meta["documentChecksum"], b64(content)).status == 204
    done = b.receiver.finish(ref)
    found = answer(done, b.receiver.ring)
    assert found.responseCode is ResponseCode.RECE
    assert found.receivedAdditionalDocumentChecksums == [x["documentChecksum"] for x in d.documents]
    assert b.receiver.finish(ref) == done  # a retried finish: the very same signed bytes
    assert len(b.ledger.moves(transport_document_checksum(td), "in")) == 1


def test_unknown_envelope_reference_is_an_unsigned_404(ab):
    _, b = ab
    assert b.receiver.finish("nope").status == 404
    assert b.receiver.upload("nope", "a" * 64, b64(b"x")).status == 404
