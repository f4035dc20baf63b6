"""The command line of the Fabric network: ``python -m network.fabric
build|up|down|status`` (the functions ``tdx network fabric ...`` is to call)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from network.fabric import binaries
from network.fabric.network import NetworkError, down, network_folder, status, up
from network.fabric.processes import ProcessError
from network.fabric.settings import record
from network.home import Home, HomeError, default_home


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m network.fabric")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build peer, orderer, configtxgen, osnadmin (once)")
    for name, text in (
        ("up", "create (once) and start the network, deploy the chaincode"),
        ("down", "stop exactly the processes `up` started"),
        ("status", "each process, its heights, the channels' members"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--home", type=Path, default=None)
        command.add_argument("--json", action="store_true")
    bench = sub.add_parser("bench", help="submits/s and commit latency: fabric, embedded, anvil")
    bench.add_argument("--n", type=int, default=200)
    bench.add_argument("--threads", type=int, default=16)
    bench.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from network.bench.fabric import fabric_bench

        print(json.dumps(fabric_bench(args.n, args.threads, progress=_progress), indent=2))
        return
    if args.command == "build":
        try:
            built = binaries.build(progress=_progress)
        except binaries.BuildError as exc:
            sys.exit(f"fabric: {exc}")
        if built.how == "present":
            print(
                f"Fabric v{binaries.VERSION} ({binaries.COMMIT[:7]}) is already in {built.bin_dir}"
            )
        else:
            print(f"built Fabric v{binaries.VERSION} by {built.how} in {built.seconds:.0f} s")
        return
    home = Home(args.home or default_home())
    folder = network_folder(home)
    try:
        if args.command == "up":
            report = up(home, folder, _progress)
            record(home, folder)
            body: object = {"ok": True, "seconds": round(report.seconds, 1), "steps": report.steps}
            text = f"Fabric network up in {report.seconds:.1f} s ({folder})"
        elif args.command == "down":
            stopped = down(folder)
            body = {"stopped": stopped}
            text = f"stopped {len(stopped)} processes" if stopped else "nothing was running"
        else:
            body = status(folder)
            text = json.dumps(body, indent=2)
    except (NetworkError, ProcessError, HomeError, FileNotFoundError) as exc:
        sys.exit(f"fabric {args.command}: {exc}")
    print(json.dumps(body, indent=2) if args.json else text)
