"""What every tdx command shares: options, output, and turning failures into one line.

Imported by every command module before the command line knows which command runs, so it
imports only what option types need; the node, the home and the errors they raise are
imported when a command uses them (``tdx --help`` stays fast).
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from chaincode.documents.kinds import DocumentKind

if TYPE_CHECKING:
    from network.home import Home
    from network.node import Node

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

HOME_ENV = "TDX_HOME"
HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=HOME_ENV,
        show_envvar=False,
        help="Node home directory [default: $TDX_HOME, else ~/.tdx].",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
AsOpt = Annotated[str, typer.Option("--as", help="Acting organisation id, e.g. cn-gacc.")]
KindArg = Annotated[DocumentKind, typer.Argument(help="Document kind.", case_sensitive=False)]
FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON file.")
]


def _doc_id(value: str) -> str:
    """A document id, or a usage error (exit 2) that names the form."""
    from chaincode.identifiers import is_doc_id

    if not is_doc_id(value):
        raise typer.BadParameter(
            f"{value!r} is not a document id: expected sha256: followed by 64 lower-case hex "
            "digits (as tdx doc digest prints)",
            param_hint="ID",
        )
    return value


IdArg = Annotated[str, typer.Argument(help="Document id, sha256:<64 hex>.", callback=_doc_id)]

T = TypeVar("T")


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"tdx: error: {message}", markup=False)
    raise typer.Exit(code)


def guard(fn: Callable[[], T]) -> T:
    """Turn expected failures into one clear line and a non-zero exit."""
    from chaincode.documents.registry import InvalidDocumentError
    from chaincode.lifecycle import Refusal
    from identity.keys import KeyStoreError
    from ledger.signed_tx import MalformedTransactionError
    from network.home import HomeError
    from network.node import NotOffered

    try:
        return fn()
    except Refusal as refusal:
        fail(f"refused ({refusal.kind.value}): {refusal.rule}")
    except InvalidDocumentError as exc:
        first = exc.errors[0]
        fail(
            f"invalid {exc.kind.value}: {first} ({len(exc.errors)} error(s); see tdx doc validate)"
        )
    except (HomeError, KeyStoreError, MalformedTransactionError, NotOffered) as exc:
        fail(str(exc))


def read_input(path: Path, what: str) -> bytes:
    """A file the user named; a missing or unreadable one is a usage error (exit 2)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{what}: no such file {path}", 2)
    except IsADirectoryError:
        fail(f"{what}: {path} is a directory, not a file", 2)
    except OSError as exc:
        fail(f"{what}: cannot read {path} ({exc.strerror})", 2)


def read_text(path: Path, what: str) -> str:
    """As ``read_input``, as UTF-8 text (anything else is an invalid input, exit 1)."""
    try:
        return read_input(path, what).decode()
    except UnicodeDecodeError:
        fail(f"{what}: {path} is not UTF-8 text")


def read_json(path: Path, what: str) -> Any:
    """As ``read_input``, parsed as strict JSON (anything else is an invalid input, exit 1)."""
    from chaincode.canonical import CanonicalizationError, parse_json

    try:
        return parse_json(read_input(path, what))
    except CanonicalizationError as exc:
        fail(f"{what}: {path} is not JSON ({exc})")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def home_of(path: Path | None) -> Home:
    """The home every command but ``init`` works in; a missing or half-made one is one line
    that says how to make one (exit 1)."""
    from network.home import Home, default_home

    home = Home(path or default_home())
    guard(home.check)
    return home


@contextmanager
def node_of(path: Path | None) -> Iterator[Node]:
    from network.node import Node

    node = guard(lambda: Node(home_of(path)))
    try:
        yield node
    finally:
        node.close()
