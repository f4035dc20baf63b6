"""A load generator for the crash test: anchors from several threads, printing each
receipt only after the ledger acknowledged it (that is, after it is durable)."""

import random
import sys
import threading
from pathlib import Path

from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from network.home import Home
from network.node import Node

home, seed = Path(sys.argv[1]), int(sys.argv[2])
out_lock = threading.Lock()


def work(node: Node, worker: int, count: int) -> None:
    rng = random.Random(seed * 100 + worker)
    for _ in range(count):
        doc = f"sha256:{rng.getrandbits(256):064x}"
        receipt = node.submit("cn-gacc", Op.ISSUE, doc=doc, kind=DocumentKind.CO, country="CN")
        with out_lock:
            sys.stdout.write(f"{receipt.index} {receipt.tx_id} {doc}\n")
            sys.stdout.flush()


with Node(Home(home)) as node:
    threads = [threading.Thread(target=work, args=(node, w, 2000)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
