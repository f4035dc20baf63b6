"""The tdx chaincode as a service: ``python -m ledger.fabric.ccserver``.

One process per country; that country's peer dials it (TLS, and the peer must present a
certificate from ``--client-ca``). It registers with the package id the country installed,
and serves ``contract.invoke`` until SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from ledger.fabric.contract import invoke
from ledger.fabric.shim import ServerTLS, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ledger.fabric.ccserver")
    parser.add_argument("--package-id", required=True)
    parser.add_argument("--address", required=True, help="127.0.0.1:PORT")
    parser.add_argument("--cert", type=Path, required=True, help="TLS certificate (PEM)")
    parser.add_argument("--key", type=Path, required=True, help="TLS private key (PEM)")
    parser.add_argument("--client-ca", type=Path, required=True, help="the peers' TLS CA")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    tls = ServerTLS(args.cert.read_bytes(), args.key.read_bytes(), args.client_ca.read_bytes())
    server = serve(args.package_id, invoke, args.address, tls)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    print(f"tdx chaincode {args.package_id} listening on {args.address}", flush=True)
    stopping.wait()
    server.stop(2).wait()


if __name__ == "__main__":
    main()
