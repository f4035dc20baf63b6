"""A load generator for the kept-document tests: issues distinct certificates of origin
from several threads through ``Node.issue``, printing each document's digest and entry only
after the node answered (that is, after the document and its entry are durable)."""

import json
import sys
import threading
from pathlib import Path

from chaincode.documents.registry import DocumentKind
from network import examples
from network.home import Home
from network.node import Node

home, tag, threads, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out_lock = threading.Lock()
template = json.loads(examples.read(examples.CO))


def work(node: Node, worker: int) -> None:
    for i in range(count):
        number = f"{template['certificateNumber']}-{tag}-{worker}-{i}"
        doc = dict(template, certificateNumber=number)
        issued = node.issue(DocumentKind.CO, json.dumps(doc).encode(), "cn-gacc")
        with out_lock:
            sys.stdout.write(f"{issued.receipt.index} {issued.document.digest}\n")
            sys.stdout.flush()


with Node(Home(home)) as node:
    pool = [threading.Thread(target=work, args=(node, w)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
