"""The command line of the Fabric network: build, up, down, status (and bench)."""

from __future__ import annotations

import argparse
import sys

from network.fabric import binaries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m network.fabric")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build peer, orderer, configtxgen, osnadmin (once)")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            built = binaries.build(progress=lambda m: print(m, file=sys.stderr))
        except binaries.BuildError as exc:
            sys.exit(f"fabric: {exc}")
        if built.how == "present":
            print(f"Fabric v{binaries.VERSION} ({binaries.COMMIT[:7]}) is already in {built.bin_dir}")
        else:
            print(f"built Fabric v{binaries.VERSION} by {built.how} in {built.seconds:.0f} s")
