"""tdx identity rekey: re-encrypt key files under a new passphrase or scrypt cost, over
``identity.keys.rekey`` (the key, the file's mode and owner stay as they were)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import HomeOpt, JsonOpt, emit_json, fail, guard, home_of, out

NEW_PASSPHRASE_ENV = "TDX_NEW_PASSPHRASE"  # noqa: S105 (a variable name)


def _new_passphrase() -> bytes:
    value = os.environ.get(NEW_PASSPHRASE_ENV)
    if value is None:
        value = getpass.getpass("New passphrase: ")
        if getpass.getpass("New passphrase again: ") != value:
            fail("the two new passphrases differ; nothing was changed")
    if not value:
        fail(f"an empty passphrase is not allowed (set {NEW_PASSPHRASE_ENV}); nothing was changed")
    return value.encode()


def _home_keys(home: Path | None) -> tuple[list[Path], bytes | None]:
    """Every key file of the home, and the passphrase it uses if it is a demo home."""
    from network.demo_network import DEMO_PASSPHRASE

    h = home_of(home)
    files = sorted(
        [*h.path.glob("*.key"), *h.path.glob("roots/*.key"), *h.path.glob("orgs/*/*.key")]
    )
    demo = guard(h.config).get("demo") is True
    return files, DEMO_PASSPHRASE.encode() if demo else None


def _opens(path: Path, passphrase: bytes) -> None:
    from identity import keys

    guard(lambda: keys.load_signing_key(path, passphrase))


def rekey(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Key files (encrypted PKCS#8 PEM).", show_default=False),
    ] = None,
    all_keys: Annotated[
        bool, typer.Option("--all", help="Every key file of the home (one passphrase for all).")
    ] = False,
    n: Annotated[
        int | None,
        typer.Option("--scrypt-n", help="scrypt cost N, a power of two [default: 2^14]."),
    ] = None,
    r: Annotated[
        int | None, typer.Option("--scrypt-r", help="scrypt block size r [default: 8].")
    ] = None,
    p: Annotated[
        int | None, typer.Option("--scrypt-p", help="scrypt parallelism p [default: 5].")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-encrypt key files under a new passphrase and/or scrypt cost; nothing else changes.

    The current passphrase comes from TDX_PASSPHRASE (or a prompt), the new one from
    TDX_NEW_PASSPHRASE (or a prompt, twice). A demo home keeps the demo passphrase: only its
    scrypt cost can change. Every file is opened with the current passphrase before any is
    rewritten; each file is replaced atomically."""
    from identity import keys
    from identity.key_encryption import DEFAULT_KDF, KeyEncryptionError, ScryptKdf

    if bool(files) == all_keys:
        fail("name key files, or --all for every key of the home (not both)", 2)
    try:
        kdf = ScryptKdf(
            DEFAULT_KDF.n if n is None else n,
            DEFAULT_KDF.r if r is None else r,
            DEFAULT_KDF.p if p is None else p,
        )
        kdf.check_writable()
    except KeyEncryptionError as exc:
        fail(f"{exc}; nothing was changed", 2)
    demo: bytes | None = None
    if all_keys:
        targets, demo = _home_keys(home)
    else:
        targets = list(files or ())
    for target in targets:
        if not target.is_file():
            fail(f"no key file at {target}; nothing was changed", 2)
    old = (
        demo
        if demo is not None
        else guard(lambda: keys.passphrase_from_env_or_prompt("Current passphrase: "))
    )
    new = demo if demo is not None else _new_passphrase()
    for target in targets:  # all or none: a wrong passphrase for any changes nothing
        _opens(target, old)
    done: list[str] = []
    for target in targets:
        try:
            keys.rekey(target, old, new, kdf)
        except keys.KeyStoreError as exc:
            fail(f"{exc} (re-encrypted before it: {len(done)} of {len(targets)} files)")
        done.append(str(target))
    if as_json:
        emit_json({"files": done, "kdf": {"name": "scrypt", "n": kdf.n, "r": kdf.r, "p": kdf.p}})
    else:
        for name in done:
            out.print(f"Re-encrypted {name} with {kdf}", markup=False)
