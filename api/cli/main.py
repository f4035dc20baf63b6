"""The ``tdx`` command line. Thin: parse arguments, call identity/chaincode/network, render.

Every command that scripts read has ``--json``. Errors print one line to stderr and exit
non-zero: 1 for a refusal or an invalid input, 2 for a usage error.

Start-up is kept short: the groups in ``DEFERRED`` are imported only when they run
(``api.cli.lazy``), and the commands here import the node, the home and the document
models when they run.
"""

from __future__ import annotations

import datetime
import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli import ledger as cli_ledger
from api.cli import reads
from api.cli import rekey as cli_rekey
from api.cli import witness as cli_witness
from api.cli.common import (
    AsOpt,
    FileArg,
    HomeOpt,
    IdArg,
    JsonOpt,
    KindArg,
    emit_json,
    err,
    fail,
    guard,
    home_of,
    node_of,
    now,
    out,
)
from api.cli.lazy import root_with
from api.cli.render import render_report
from network.config import LedgerConfig, LedgerEngine, NodeConfig
from network.version import VERSION

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


class PrintLanguage(enum.StrEnum):
    EN = "en"
    ZH = "zh"
    RU = "ru"


# Sub-command groups imported when they run: name -> (module with ``app``, one-line help,
# the same as the module's own: tests/api/test_cli_startup.py compares them).
DEFERRED = {
    "ebl": ("api.cli.ebl", "eBL control: transfer, surrender, release, pickup."),
    "bench": ("api.cli.bench", "Benchmarks; each prints JSON."),
    "network": (
        "api.cli.network",
        "Country nodes on this machine, and production network files.",
    ),
    "audit": ("api.cli.audit", "The node's audit logs."),
    "evm": ("api.cli.evm", "The EVM consortium ledger."),
    "oa": ("api.cli.oa", "OpenAttestation v2 (TradeTrust): wrap, export, verify."),
    "dcsa": ("api.cli.dcsa", "DCSA eBL 3.0.3 transport documents: import, export."),
    "pint": ("api.cli.pint", "DCSA PINT 3.0.0: eBLs to and from other platforms."),
    "rail": ("api.cli.rail", "Rail consignments, border events and release."),
    "ephyto": ("api.cli.ephyto", "Quarantine certificates as SPS XML."),
    "edifact": ("api.cli.edifact", "EDIFACT IFTMIN in, IFTSTA out."),
}


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


app = typer.Typer(
    cls=root_with(DEFERRED),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tdx: trade document exchange.",
)
identity_app = typer.Typer(no_args_is_help=True, help="Organisations and their certificates.")
doc_app = typer.Typer(no_args_is_help=True, help="Validate, digest and sign trade documents.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tdx {VERSION}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """tdx: trade document exchange."""


app.add_typer(identity_app, name="identity")
app.add_typer(doc_app, name="doc")
doc_app.command("get")(reads.get)
identity_app.command("rekey")(cli_rekey.rekey)
cli_ledger.register(app)
cli_witness.register_proof(cli_ledger.proof_app)  # tdx proof check-evidence


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Create the demo network.")] = False,
    country: Annotated[
        str | None,
        typer.Option("--country", help="Create one country's node home (CN, SG, RU, KZ)."),
    ] = None,
    demo_network: Annotated[
        Path | None,
        typer.Option("--demo-network", help="With --country: the shared demo network folder."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="With --country: where the node will serve."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a node home: the demo home of every country (--demo), or one country's node
    joined to a demo network folder (--country CC --demo-network DIR)."""
    from network.home import Home, default_home, init_demo

    if country is not None:
        _init_country(country.upper(), demo_network, base_url, home, as_json)
        return
    if not demo:
        fail(
            "tdx init --demo [--home DIR], or tdx init --country CC --demo-network DIR "
            "[--home DIR]",
            2,
        )
    target = home or default_home()
    if Home(target).exists():
        if as_json:
            emit_json({"home": str(target), "created": False})
        else:
            out.print(f"A tdx home already exists at {target}; nothing was changed.")
        return
    created = guard(lambda: init_demo(target, now()))
    orgs = list(created.organisations())
    if as_json:
        emit_json({"home": str(target), "created": True, "organisations": len(orgs)})
        return
    countries = sorted({o.country for o in orgs})
    out.print(
        f"Created the demo network at {target}: {len(countries)} country roots "
        f"({', '.join(countries)}), {len(orgs)} organisations, a signed trust list."
    )
    out.print("Keys are encrypted with the demo passphrase 'tdx-demo-passphrase'.")


def _init_country(
    country: str, network: Path | None, base_url: str | None, home: Path | None, as_json: bool
) -> None:
    from network.demo_network import COUNTRIES, DEFAULT_BASE_PORT
    from network.home import default_home, init_country

    if network is None:
        fail("--country needs --demo-network DIR (the folder the countries' nodes share)", 2)
    codes = [c.code for c in COUNTRIES]
    if country not in codes:
        fail(f"--country: {country} is not a demo country ({', '.join(codes)})", 2)
    target = home or default_home()
    url = base_url or f"http://127.0.0.1:{DEFAULT_BASE_PORT + codes.index(country)}"
    created = guard(lambda: init_country(target, country, network, url, now()))
    orgs = list(created.organisations())
    if as_json:
        emit_json(
            {
                "home": str(target),
                "country": country,
                "network": str(network.resolve()),
                "baseUrl": url,
                "organisations": len(orgs),
            }
        )
        return
    out.print(
        f"Created the {country} node's home at {target}: its root, {len(orgs)} organisations, "
        f"a node certificate; joined the demo network at {network.resolve()} (serving at {url})."
    )


@identity_app.command("list")
def identity_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the organisations of this home."""
    orgs = guard(lambda: list(home_of(home).organisations()))
    if as_json:
        emit_json(
            [
                {"id": o.id, "name": o.name, "country": o.country, "roles": sorted(o.roles)}
                for o in orgs
            ]
        )
        return
    table = Table("id", "country", "roles", "name")
    for o in orgs:
        table.add_row(o.id, o.country, ", ".join(sorted(o.roles)), o.name)
    out.print(table)


@identity_app.command("revoke")
def identity_revoke(
    org: Annotated[str, typer.Argument(help="Organisation id, e.g. cn-cosco.")],
    at: Annotated[
        datetime.datetime | None,
        typer.Option("--at", help="Revocation time (ISO 8601; UTC if no offset) [default: now]."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an organisation's certificates in its country's revocation list."""
    t = now()
    when = t if at is None else (at if at.tzinfo else at.replace(tzinfo=datetime.UTC))
    effective = guard(lambda: home_of(home).revoke(org, when, t))
    if as_json:
        emit_json({"organisation": org, "revokedAt": effective.isoformat()})
    elif effective != when:
        out.print(f"{org} was already revoked from {effective.isoformat()}; unchanged.")
    else:
        out.print(f"Revoked {org} from {effective.isoformat()}.")


@doc_app.command("validate")
def doc_validate(kind: KindArg, file: FileArg, as_json: JsonOpt = False) -> None:
    """Validate a document: exit 0 if valid, 1 with every error if not."""
    from chaincode.documents.registry import InvalidDocumentError, validate_document

    try:
        doc = validate_document(kind, file.read_bytes())
    except InvalidDocumentError as exc:
        if as_json:
            emit_json(
                {
                    "valid": False,
                    "kind": kind.value,
                    "errors": [
                        {"path": e.path, "rule": e.rule, "message": e.message} for e in exc.errors
                    ],
                }
            )
        else:
            err.print(f"{file}: invalid {kind.value}, {len(exc.errors)} error(s):", markup=False)
            for e in exc.errors:
                err.print(f"  {e}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        emit_json({"valid": True, "kind": kind.value, "digest": doc.digest})
    else:
        out.print(f"{file}: valid {kind.value}, {doc.digest}")


@doc_app.command("digest")
def doc_digest(kind: KindArg, file: FileArg) -> None:
    """Print the document's digest, sha256:<hex> of its RFC 8785 canonical form."""
    from chaincode.documents.registry import validate_document

    doc = guard(lambda: validate_document(kind, file.read_bytes()))
    sys.stdout.write(doc.digest + "\n")


@doc_app.command("sign")
def doc_sign(
    kind: KindArg,
    file: FileArg,
    as_org: AsOpt,
    output: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    home: HomeOpt = None,
) -> None:
    """Sign a valid document as an organisation: a JWS with its x5c chain (not anchored)."""
    from chaincode.documents.registry import validate_document
    from network import signing

    doc = guard(lambda: validate_document(kind, file.read_bytes()))
    envelope = guard(lambda: signing.sign(home_of(home), as_org, doc, now()))
    text = json.dumps(envelope.to_json(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Signed {kind.value} {doc.digest} as {as_org} -> {output}", markup=False)


@doc_app.command("print")
def doc_print(
    doc_id: IdArg,
    output: Annotated[Path, typer.Option("--out", help="Write the PDF here.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The node's public URL for the QR code [default: the home's publicUrl, "
            "else http://127.0.0.1:8000].",
        ),
    ] = None,
    lang: Annotated[
        PrintLanguage, typer.Option("--lang", help="Language of the labels.")
    ] = PrintLanguage.EN,
    home: HomeOpt = None,
) -> None:
    """Print a document on this node's ledger as a PDF certificate whose QR code verifies it."""
    from api.http.pages import i18n, print_pdf
    from chaincode.read_policy import OPERATOR

    h = home_of(home)
    setting = guard(h.config).get("publicUrl")
    base = base_url or (setting if isinstance(setting, str) else DEFAULT_PUBLIC_URL)
    if not base.startswith(("http://", "https://")):
        fail(f"--base-url must start with http:// or https://, not {base!r}", 2)
    with node_of(home) as node:
        pdf = guard(lambda: print_pdf(node, doc_id, OPERATOR, base, i18n.Catalogs()[lang], now()))
    output.write_bytes(pdf)
    err.print(f"Printed {doc_id} -> {output} ({len(pdf)} bytes)", markup=False)


@app.command()
def verify(
    file: FileArg,
    ask_issuer: Annotated[
        bool,
        typer.Option(
            "--ask-issuer",
            help="Ask the issuing country's node when this node's ledger lacks the document.",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute format, signature and integrity even for the exact bytes this "
            "node verified when it issued them (which otherwise rely on that, and say so).",
        ),
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a signed document and its ledger status: exit 0 VALID, 1 INVALID, 2 usage,
    3 UNKNOWN (a check could not be made, e.g. the issuing node did not answer)."""
    from identity.checks import Verdict

    with node_of(home) as node:
        report = node.verify(file.read_bytes(), ask_issuer=ask_issuer, full=full)
    if as_json:
        emit_json(report.to_json())
    else:
        render_report(out, report)
    raise typer.Exit({Verdict.VALID: 0, Verdict.INVALID: 1, Verdict.UNKNOWN: 3}[report.verdict])


@app.command()
def serve(
    home: HomeOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16)] = 1,
    ledger: Annotated[
        LedgerEngine,
        typer.Option(
            "--ledger",
            help="embedded, evm (after tdx evm deploy) or fabric (after tdx network fabric up).",
        ),
    ] = LedgerEngine.EMBEDDED,
    rpc: Annotated[str | None, typer.Option("--rpc", help="EVM JSON-RPC URL.")] = None,
    log_level: Annotated[
        LogLevel, typer.Option("--log-level", help="Request log level (WARNING: no request lines).")
    ] = LogLevel.INFO,
    witnessing: Annotated[
        bool,
        typer.Option(
            "--witnessing/--no-witnessing",
            help="Submit this node's checkpoints to its witnesses while serving (a home with "
            "witness peers).",
        ),
    ] = True,
) -> None:
    """Serve the node's HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    from api.http import workers as workers_module

    target = home_of(home)
    guard(target.config)  # a missing home is one clear line, before uvicorn starts
    if ledger is LedgerEngine.EVM and not (target.path / "evm.json").is_file():
        fail(f"no EVM deployment in {target.path}: run tdx evm deploy --rpc URL first")
    if rpc is not None and ledger is not LedgerEngine.EVM:
        fail(f"--rpc is the evm engine's option, not the {ledger.value} engine's", 2)
    if ledger is LedgerEngine.FABRIC:
        from network.fabric.settings import fabric_ready

        guard(lambda: fabric_ready(target))
    config = NodeConfig(target.path.resolve(), LedgerConfig(ledger, rpc), witnessing=witnessing)
    try:
        workers_module.serve(config, host, port, workers, log_level.value)
    except workers_module.ServeError as exc:
        fail(str(exc))


@app.command()
def token(
    as_org: AsOpt,
    audience: Annotated[
        str | None, typer.Option("--audience", help="The node it is for [default: this home's].")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Print a bearer token (a 5-minute JWT with x5c) for scripts calling the HTTP API."""
    h = home_of(home)
    sys.stdout.write(guard(lambda: h.mint_token(as_org, now(), audience)) + "\n")


@app.command()
def demo(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    ledger: Annotated[
        LedgerEngine,
        typer.Option(
            "--ledger",
            help="embedded, evm (starts its own anvil) or fabric (starts its own network "
            "unless the home's is up).",
        ),
    ] = LedgerEngine.EMBEDDED,
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="evm: use this node instead of a new anvil.")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Leave the node up afterwards and print its pages' URL."),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="--serve: address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="--serve: port (0: a free one).")
    ] = 8000,
    network: Annotated[
        bool,
        typer.Option(
            "--network", help="The corridor on four country nodes (CN, SG, RU, KZ) on loopback."
        ),
    ] = False,
) -> None:
    """Run the demo story end to end; exit 0 only if every step gave the expected result."""
    if network:
        from api.cli import corridor_demo

        if home is not None or ledger is not LedgerEngine.EMBEDDED or rpc is not None or serve:
            fail("--network: runs its own four nodes (no --home, --ledger, --rpc or --serve)", 2)
        raise typer.Exit(0 if guard(lambda: corridor_demo.run(out, as_json)) else 1)
    if rpc is not None and ledger is not LedgerEngine.EVM:
        fail(f"--rpc is the evm engine's option, not the {ledger.value} engine's", 2)

    from api.cli import demo as demo_story

    where = demo_story.Serve(host, port) if serve else None
    try:
        ok = guard(lambda: demo_story.run(home, out, as_json, LedgerConfig(ledger, rpc), where))
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    """Run tdx. A usage error (a missing file, a malformed id, an unknown option) is one line
    naming the command's --help, exit 2, not click's framed message."""
    # Typer (pinned, 0.29) carries its own copy of click; its errors are these classes.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.ctx.get_help()  # Typer prints its help itself
        sys.exit(exc.exit_code)
    except UsageError as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        err.print(f"tdx: error: {exc.format_message()}{where}", markup=False)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.", markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
