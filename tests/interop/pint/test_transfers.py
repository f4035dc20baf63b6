"""Platforms on loopback, each with its own store, ledger and key, over real sockets: a full
transfer, a transfer back, a surrender routed through the issuing platform (accepted, and
rejected), and one eBL sent to two platforms at once."""

import threading

import httpx
import pytest

from interop.pint import (
    ActionCode,
    AdditionalDocument,
    ControlRefusedError,
    LocalControl,
    OutboundState,
    ResponseCode,
    SendRefusedError,
    Transfer,
    TransferPendingError,
    transaction,
    transport_document_checksum,
)
from interop.pint.signatures import verify
from tests.interop.pint.platforms import example_td

INVOICE = AdditionalDocument("invoice.pdf", "application/pdf", b"%PDF-1.7 invoice 6401873150")
VISUAL = AdditionalDocument("bl.pdf", "application/pdf", b"%PDF-1.7 carrier's rendering")


def received(platform, td_checksum):
    return [m[1] for m in platform.ledger.moves(td_checksum, "in")]


def test_full_transfer_then_back_then_out_again(net):
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")

    outcome = a.sender.send(
        a.first_transfer(td, b, "sg-importer", documents=(INVOICE,), visualisation=VISUAL)
    )
    assert (outcome.state, outcome.code) == (OutboundState.TRANSFERRED, ResponseCode.RECE)
    signed = verify(outcome.answer, a.sender.ring)  # the receiver's signature, checked again
    assert signed.platform == "SGTD"
    assert signed.payload["receivedAdditionalDocumentChecksums"] == [
        VISUAL.checksum,
        INVOICE.checksum,
    ]
    assert b.store.document(INVOICE.checksum) == INVOICE.content

    # Both ledgers record the move; the sender can never act on the eBL again.
    assert a.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT
    held = b.ledger.get(ebl)
    assert (held.control, held.holder) == (LocalControl.HELD, "sg-importer")
    with pytest.raises(ControlRefusedError, match="transferred out"):
        a.ledger.transfer(ebl, "cn-exporter", "cn-boc")
    again = a.first_transfer(td, net["IQAX"], "ru-importer")
    with pytest.raises(SendRefusedError, match="not this platform's record"):
        a.sender.send(again)
    # Even from the chain it keeps, it has nothing to sign: the possessor is on SGTD now.
    with pytest.raises(SendRefusedError, match="is not the possessor"):
        a.sender.send(
            Transfer(td, a.store.chain(ebl), again.transactions[1:], "cn-exporter", again.to)
        )

    # On SGTD the importer passes it to its bank, which sends it back to a Chinese bank:
    # one entry with both transactions (the chain records every change of possessor).
    b.ledger.transfer(ebl, "sg-importer", "sg-dbs")
    boc = b.sender.receiver_party(a.peer, a.code_of("cn-boc"))
    back = Transfer(
        transport_document=b.store.transport_document(ebl),
        previous_chain=b.store.chain(ebl),
        transactions=[
            transaction(ActionCode.TRANSFER, b.party("sg-importer"), b.clock(), b.party("sg-dbs")),
            transaction(ActionCode.TRANSFER, b.party("sg-dbs"), b.clock(), boc),
        ],
        actor="sg-dbs",
        to=a.peer,
        documents=(INVOICE,),
        visualisation=VISUAL,
    )
    assert b.sender.send(back).code is ResponseCode.RECE
    assert b.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT
    home = a.ledger.get(ebl)
    assert (home.control, home.holder) == (LocalControl.HELD, "cn-boc")
    assert a.store.chain(ebl) == b.store.chain(ebl)
    assert len(a.store.chain(ebl)) == 2

    # And out again, extending the chain both platforms now share.
    out = a.onward(
        ebl, "cn-boc", b, b.party("sg-importer"), documents=(INVOICE,), visualisation=VISUAL
    )
    assert a.sender.send(out).code is ResponseCode.RECE
    assert b.ledger.get(ebl).holder == "sg-importer"
    assert received(b, ebl) == ["TRANSFER", "TRANSFER"]
    assert received(a, ebl) == ["TRANSFER"]
    assert len(b.store.chain(ebl)) == 3


def _surrender(net, code=ActionCode.SURRENDER_FOR_DELIVERY):
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")
    assert a.sender.send(a.first_transfer(td, b, "sg-importer")).code is ResponseCode.RECE
    carrier = b.sender.receiver_party(a.peer, a.code_of("cn-cosco"))
    return a, b, ebl, carrier


def test_a_surrender_is_routed_through_the_issuing_platform(net):
    a, b, ebl, carrier = _surrender(net)
    c = net["IQAX"]

    # Not to another platform, and not to anyone but the carrier: refused before sending.
    elsewhere = b.sender.receiver_party(c.peer, c.code_of("ru-importer"))
    with pytest.raises(
        SendRefusedError, match=r"goes to the platform that issued the eBL \(AEOT\)"
    ):
        b.sender.send(b.onward(ebl, "sg-importer", c, elsewhere, ActionCode.SURRENDER_FOR_DELIVERY))
    boc = b.sender.receiver_party(a.peer, a.code_of("cn-boc"))
    with pytest.raises(SendRefusedError, match="addressed to the carrier that issued"):
        b.sender.send(b.onward(ebl, "sg-importer", a, boc, ActionCode.SURRENDER_FOR_DELIVERY))
    assert b.ledger.control(ebl) is LocalControl.HELD  # nothing left

    surrender = b.onward(ebl, "sg-importer", a, carrier, ActionCode.SURRENDER_FOR_DELIVERY)
    assert b.sender.send(surrender).code is ResponseCode.RECE
    assert b.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT
    pending = a.ledger.get(ebl)
    assert (pending.control, pending.state, pending.holder) == (
        LocalControl.HELD,
        "PENDING_SURRENDER_FOR_DELIVERY",
        "cn-cosco",
    )
    assert pending.surrendered_by["identifyingCodes"][0]["partyCode"] == "sg-importer"

    # The carrier accepts on its own platform, then tells the surrendering party's.
    with pytest.raises(ControlRefusedError, match="does not control"):
        a.ledger.answer_surrender(ebl, "cn-exporter", accept=True)
    a.ledger.answer_surrender(ebl, "cn-cosco", accept=True)
    assert a.ledger.get(ebl).state == "SURRENDERED_FOR_DELIVERY"
    importer = a.sender.receiver_party(b.peer, b.code_of("sg-importer"))
    notice = a.onward(ebl, "cn-cosco", b, importer, ActionCode.SACC)
    assert a.sender.send(notice).code is ResponseCode.RECE
    closed = b.ledger.get(ebl)
    assert (closed.control, closed.state) == (LocalControl.CLOSED, "SURRENDERED_FOR_DELIVERY")
    assert a.ledger.control(ebl) is LocalControl.CLOSED  # SACC notifies; nothing moved
    with pytest.raises(ControlRefusedError):
        a.ledger.transfer(ebl, "cn-cosco", "cn-boc")
    assert [m[1] for m in a.ledger.moves(ebl, "in")] == ["SURRENDER_FOR_DELIVERY"]


def test_a_rejected_surrender_returns_the_ebl_to_the_surrendering_party(net):
    a, b, ebl, carrier = _surrender(net, ActionCode.SURRENDER_FOR_AMENDMENT)
    surrender = b.onward(ebl, "sg-importer", a, carrier, ActionCode.SURRENDER_FOR_AMENDMENT)
    assert b.sender.send(surrender).code is ResponseCode.RECE
    assert a.ledger.get(ebl).state == "PENDING_SURRENDER_FOR_AMENDMENT"
    with pytest.raises(ControlRefusedError, match="by PINT"):
        a.ledger.answer_surrender(ebl, "cn-cosco", accept=False)

    importer = a.sender.receiver_party(b.peer, b.code_of("sg-importer"))
    rejection = a.onward(ebl, "cn-cosco", b, importer, ActionCode.SREJ)
    assert a.sender.send(rejection).code is ResponseCode.RECE
    back = b.ledger.get(ebl)
    assert (back.control, back.state, back.holder) == (LocalControl.HELD, "ISSUED", "sg-importer")
    assert a.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT


def test_one_ebl_sent_to_two_platforms_at_once_is_received_once(net):
    """MLETR (c) and (e): one controller at a time, and a transfer deprives the sender.
    PINT alone cannot tell the two receivers about each other (no control tracking registry
    here), so the sender must refuse the second transfer before anything leaves: its store
    admits one envelope in flight per eBL, atomically, and its ledger marks the eBL in flight.
    """
    a, b, c = net["AEOT"], net["SGTD"], net["IQAX"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")
    transfers = [a.first_transfer(td, b, "sg-importer"), a.first_transfer(td, c, "ru-importer")]
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, object] = {}

    def send(transfer):
        barrier.wait()
        try:
            results[transfer.to.platform] = a.sender.send(transfer)
        except SendRefusedError as refused:
            results[transfer.to.platform] = refused

    threads = [threading.Thread(target=send, args=(t,)) for t in transfers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    accepted = {p: r for p, r in results.items() if not isinstance(r, Exception)}
    refused = {p: r for p, r in results.items() if isinstance(r, Exception)}
    assert (len(accepted), len(refused)) == (1, 1), results
    (winner, outcome), (loser, why) = next(iter(accepted.items())), next(iter(refused.items()))
    assert outcome.code is ResponseCode.RECE
    assert "no other transfer is possible" in str(why)
    assert net[winner].ledger.control(ebl) is LocalControl.HELD
    assert net[loser].ledger.control(ebl) is LocalControl.ABSENT
    assert net[loser].store.count_accepted(ebl) == 0  # nothing ever reached it
    assert a.ledger.get(ebl).out_to == winner


def test_a_double_spend_by_a_rogue_platform_is_disputed_where_the_branches_meet(net, tmp_path):
    """A platform that ignores its own in-flight rule (two stores, two ledgers, one key)
    gets both transfers accepted: neither receiver can know of the other. When the
    branches meet, the second is DISE and the eBL stays blocked on its sender."""
    from tests.interop.pint.platforms import Network

    a, b, c = net["AEOT"], net["SGTD"], net["IQAX"]
    rogue_net = Network(net.home, net.keys, tmp_path / "rogue")
    rogue = rogue_net.build("AEOT", served=False)
    rogue.sender.ring = rogue.receiver.ring = net.ring
    try:
        td = example_td()
        ebl = a.issue(td, "cn-cosco", "cn-exporter")
        rogue.issue(td, "cn-cosco", "cn-exporter")
        assert a.sender.send(a.first_transfer(td, b, "sg-importer")).code is ResponseCode.RECE
        second = rogue.first_transfer(td, c, "ru-importer")
        assert rogue.sender.send(second).code is ResponseCode.RECE

        to_b = c.sender.receiver_party(b.peer, b.code_of("sg-dbs"))
        outcome = c.sender.send(c.onward(ebl, "ru-importer", b, to_b))
        assert outcome.code is ResponseCode.DISE
        assert "departs from this platform's history at entry 0" in outcome.reason
        assert outcome.state is OutboundState.DISPUTED
        assert c.ledger.control(ebl) is LocalControl.IN_FLIGHT  # blocked, not given back
        assert b.ledger.get(ebl).holder == "sg-importer"
        with pytest.raises(SendRefusedError, match="disputed"):
            c.sender.send(c.onward(ebl, "ru-importer", a, a.party("cn-boc")))
    finally:
        rogue_net.close()


def test_the_receiver_answers_dise_and_keeps_the_ebl_where_it_is(net):
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")
    b.ledger.issue(ebl, "sg-dbs", "sg-dbs")  # SGTD believes it holds this very eBL
    outcome = a.sender.send(a.first_transfer(td, b, "sg-importer"))
    assert (outcome.code, outcome.state) == (ResponseCode.DISE, OutboundState.DISPUTED)
    assert a.ledger.control(ebl) is LocalControl.IN_FLIGHT
    assert b.ledger.get(ebl).holder == "sg-dbs"


def test_a_rejected_transfer_gives_control_back(net):
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")
    b.receiver.ring = type(b.receiver.ring)()  # SGTD trusts no key: BSIG
    outcome = a.sender.send(a.first_transfer(td, b, "sg-importer"))
    assert (outcome.code, outcome.state) == (ResponseCode.BSIG, OutboundState.REJECTED)
    assert "unknown signing key" in outcome.reason
    again = a.ledger.get(ebl)
    assert (again.control, again.holder) == (LocalControl.HELD, "cn-exporter")
    a.ledger.transfer(ebl, "cn-exporter", "cn-boc")  # control is back: actions work again


def test_first_transfer_needs_the_transport_document_checksum_to_match_the_ledger(net):
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    a.issue(td, "cn-cosco", "cn-exporter")
    other = example_td("COSU0000000001")
    with pytest.raises(SendRefusedError, match="not on this ledger"):
        a.sender.send(a.first_transfer(other, b, "sg-importer"))
    records = a.store.outbound_for(transport_document_checksum(other))
    assert [r.state for r in records] == ["cancelled"]  # never sent


def test_an_answer_lost_on_the_way_back_leaves_the_ebl_in_flight_until_resumed(net):
    """The receiver accepted, but the connection dropped before the sender read the signed
    RECE. The eBL stays in flight (no control action), and when the new holder sends it
    straight back the first platform asks it to retry rather than crying dispute; once the
    first platform resumes (DUPE: accepted before), the return goes through."""
    a, b = net["AEOT"], net["SGTD"]
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")

    def drop_finish_answer(response):
        if response.request.url.path.endswith("/envelopes") and response.status_code == 200:
            raise httpx.ReadError("connection reset", request=response.request)

    a.sender.client.event_hooks["response"] = [drop_finish_answer]
    with pytest.raises(TransferPendingError, match="stays in flight"):
        a.sender.send(a.first_transfer(td, b, "sg-importer"))
    a.sender.client.event_hooks["response"] = []
    assert a.ledger.control(ebl) is LocalControl.IN_FLIGHT
    assert b.ledger.get(ebl).holder == "sg-importer"
    with pytest.raises(ControlRefusedError, match="in flight"):
        a.ledger.transfer(ebl, "cn-exporter", "cn-boc")

    back = b.onward(ebl, "sg-importer", a, b.sender.receiver_party(a.peer, a.code_of("cn-boc")))
    with pytest.raises(TransferPendingError, match="HTTP 503"):
        b.sender.send(back)
    assert b.ledger.control(ebl) is LocalControl.IN_FLIGHT

    assert a.sender.resume(ebl).code is ResponseCode.DUPE
    assert a.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT
    assert b.sender.resume(ebl).code is ResponseCode.RECE
    assert a.ledger.get(ebl).holder == "cn-boc"
