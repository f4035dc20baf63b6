"""Kill -9 under load: every receipt that was printed survives, and the log verifies."""

import os
import random
import subprocess
import sys
from pathlib import Path

from network.node import Node

from .sigkill import kill_and_read_rest

ROUNDS = 10
WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = Path(__file__).resolve().parents[2]


def test_every_acknowledged_receipt_survives_sigkill(demo_home):
    rng = random.Random(9)
    acknowledged: list[tuple[int, str, str]] = []
    for round_ in range(ROUNDS):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(demo_home.path), str(round_)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        # Kill at a random point of progress (not of time): after 1 to 300 receipts.
        wanted = rng.randint(1, 300)
        assert proc.stdout is not None
        for _ in range(wanted):
            line = proc.stdout.readline()
            if not line:
                break
            index, tx_id, doc = line.split()
            acknowledged.append((int(index), tx_id, doc))
        for index, tx_id, doc in kill_and_read_rest(proc):  # printed before the kill landed
            acknowledged.append((int(index), tx_id, doc))

    assert len(acknowledged) >= ROUNDS
    with Node(demo_home) as node:
        for index, tx_id, doc in acknowledged:
            record = node.ledger.document(doc)
            assert record is not None, f"acknowledged {doc} (entry {index}) was lost"
            assert node.ledger.history(doc)[0].tx_id == tx_id
        check = node.ledger.verify_log()
        assert check.valid, check.to_json()
        assert check.facts.entries >= len(acknowledged)
