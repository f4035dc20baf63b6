"""A sender killed (SIGKILL) in the middle of a transfer, restarted from its SQLite store:
the eBL stayed in flight across the restart, the retry sends the very same envelope, and
the receiver accepts the transfer exactly once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from interop.pint import AdditionalDocument, LocalControl, OutboundState, ResponseCode
from interop.pint import transport_document_checksum as checksum
from tests.interop.pint.platforms import example_td

ROOT = Path(__file__).resolve().parents[3]
INVOICE = AdditionalDocument("invoice.pdf", "application/pdf", b"%PDF-1.7 invoice, 2 pages")


@pytest.mark.parametrize("point", ["before-finish", "after-finish"])
def test_a_sender_killed_mid_transfer_retries_to_a_single_rece(net, point):
    b = net["SGTD"]
    a = net.build("AEOT", served=False)
    td = example_td()
    ebl = a.issue(td, "cn-cosco", "cn-exporter")

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.interop.pint.crash_sender",
            str(net.home.path),
            str(net.workdir),
            b.url,
            point,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr  # killed, as planned

    # After the restart the store and the ledger still say "in flight": nothing can happen.
    record = a.store.active_outbound(ebl)
    assert record is not None
    assert record.state == OutboundState.IN_FLIGHT
    assert record.reference is not None  # the transfer had started
    assert a.ledger.control(ebl) is LocalControl.IN_FLIGHT
    assert b.store.document(INVOICE.checksum) == INVOICE.content  # the upload happened
    expected = "ABSENT" if point == "before-finish" else "HELD"
    assert b.ledger.control(ebl) is LocalControl[expected]

    outcome = a.sender.resume(ebl)
    assert outcome.state is OutboundState.TRANSFERRED
    # Before the finish, the start of the retry finds every document and accepts (RECE);
    # after it, the receiver had accepted already and says so (DUPE): one acceptance.
    assert outcome.code is (ResponseCode.RECE if point == "before-finish" else ResponseCode.DUPE)
    assert outcome.last_entry_checksum == record.last_checksum  # the same envelope
    assert b.store.count_accepted(ebl) == 1
    assert len(b.ledger.moves(ebl, "in")) == 1
    assert b.ledger.get(ebl).holder == "sg-importer"
    assert a.ledger.control(ebl) is LocalControl.TRANSFERRED_OUT
    assert checksum(td) == ebl
