"""The PINT store: what it keeps survives a restart, and two writers (two connections, as
two processes would have) cannot both put one eBL in flight."""

import threading

import pytest

from interop.pint import PintStore
from interop.pint.store import AlreadyActiveError

TD = "a" * 64


def begin(store, last, peer="SGTD"):
    return store.begin_outbound(
        last_checksum=last,
        td_checksum=TD,
        peer_platform=peer,
        peer_url="http://127.0.0.1:1",
        actor="cn-exporter",
        action="TRANSFER",
        recipient={"partyName": "x"},
        envelope='{"exactly": "these bytes"}',
        documents=[("d" * 64, b"doc")],
        own_entry="e.e.e",
    )


def test_in_flight_survives_a_restart_and_blocks_a_second_transfer(tmp_path):
    with PintStore(tmp_path / "pint.db") as store:
        begin(store, "1" * 64)
    with PintStore(tmp_path / "pint.db") as again:
        active = again.active_outbound(TD)
        assert active is not None
        assert (active.state, active.peer_platform) == ("in_flight", "SGTD")
        assert active.envelope == '{"exactly": "these bytes"}'
        assert again.document("d" * 64) == b"doc"
        with pytest.raises(AlreadyActiveError, match="in flight to SGTD"):
            begin(again, "2" * 64, "IQAX")
        again.close_outbound("1" * 64, "transferred", "r.r.r", "RECE", None)
        assert again.active_outbound(TD) is None


def test_two_writers_racing_put_one_ebl_in_flight_once(tmp_path):
    stores = [PintStore(tmp_path / "pint.db"), PintStore(tmp_path / "pint.db")]
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def race(store, last, peer):
        barrier.wait()
        try:
            begin(store, last, peer)
            outcomes.append("begun")
        except AlreadyActiveError:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=race, args=(stores[0], "1" * 64, "SGTD")),
        threading.Thread(target=race, args=(stores[1], "2" * 64, "IQAX")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["begun", "refused"]
    assert len([r for r in stores[0].outbound_for(TD) if r.active]) == 1
    for s in stores:
        s.close()


def test_the_known_chain_only_grows(tmp_path):
    with PintStore(tmp_path / "pint.db") as store:
        store.remember(TD, {"x": 1}, ["a.b.c"])
        store.remember(TD, {"x": 1}, ["a.b.c", "d.e.f"])
        assert store.chain(TD) == ("a.b.c", "d.e.f")
        with pytest.raises(ValueError, match="does not extend"):
            store.remember(TD, {"x": 1}, ["x.y.z", "d.e.f", "g.h.i"])
        assert store.chain(TD) == ("a.b.c", "d.e.f")
