"""tdx issue / amend / replace / revoke, tdx ledger ..., tdx proof check (and the reads'
registration: ``api.cli.reads``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from api.cli import reads
from api.cli.common import (
    AsOpt,
    FileArg,
    HomeOpt,
    IdArg,
    JsonOpt,
    KindArg,
    emit_json,
    err,
    guard,
    node_of,
    out,
    read_json,
    read_text,
)
from api.cli.render import render_checks

if TYPE_CHECKING:  # imported when a command runs, not when the command line starts
    from chaincode.transactions import Op
    from ledger.interface import Receipt

ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept on the ledger).")]

ledger_app = typer.Typer(no_args_is_help=True, help="The ledger: verify, checkpoint, prove.")
proof_app = typer.Typer(no_args_is_help=True, help="Check proofs offline, with no node home.")


def show_receipt(receipt: Receipt, as_json: bool, doc_id: str | None = None) -> None:
    body = receipt.to_json() | ({"documentId": doc_id} if doc_id else {})
    if as_json:
        emit_json(body)
        return
    verb = "Already committed" if receipt.duplicate else "Committed"
    out.print(f"{verb} as entry {receipt.index}, tx {receipt.tx_id}")
    if doc_id:
        out.print(f"document id: {doc_id}")
    for d in receipt.documents:
        holder = f", holder {d['holder']}" if "holder" in d else ""
        out.print(f"  {d['id']}: {d.get('kind', '?')} {d.get('state', '?')}{holder}")
    size = receipt.checkpoint.split("\n")[1]
    out.print(
        f"included in the signed checkpoint of size {size} ({len(receipt.inclusion)}-step proof)"
    )


def register(app: typer.Typer) -> None:
    app.command("issue")(issue)
    app.command("amend")(amend)
    app.command("replace")(replace)
    app.command("revoke")(revoke)
    app.command("status")(reads.status)
    app.command("trace")(reads.trace)
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(proof_app, name="proof")


def issue(
    kind: KindArg,
    file: FileArg,
    as_org: AsOpt,
    link: Annotated[
        list[str] | None, typer.Option("--link", help="Link another document id (repeatable).")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="eBL only: first holder [default: the shipper].")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="Also write the signed document here.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate, sign, store and anchor a document; print the receipt and the document id."""
    from chaincode.read_policy import OPERATOR

    with node_of(home) as node:
        issued = guard(lambda: node.issue(kind, file.read_bytes(), as_org, link or (), to))
        if output is not None:
            output.write_bytes(node.signed_document(issued.document.digest, OPERATOR))
    show_receipt(issued.receipt, as_json, issued.document.digest)


def _supersede(
    op: Op, doc_id: str, file: Path, as_org: str, reason: str, home: Path | None, as_json: bool
) -> None:
    with node_of(home) as node:
        issued = guard(lambda: node.supersede(op, doc_id, file.read_bytes(), as_org, reason))
    show_receipt(issued.receipt, as_json, issued.document.digest)


def amend(
    doc_id: IdArg,
    file: FileArg,
    as_org: AsOpt,
    reason: ReasonOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Supersede a document with a corrected one (for an eBL: after surrender for amendment)."""
    from chaincode.transactions import Op

    _supersede(Op.AMEND, doc_id, file, as_org, reason, home, as_json)


def replace(
    doc_id: IdArg,
    file: FileArg,
    as_org: AsOpt,
    reason: ReasonOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace a quarantine certificate with a replacement certificate."""
    from chaincode.transactions import Op

    _supersede(Op.REPLACE, doc_id, file, as_org, reason, home, as_json)


def revoke(
    doc_id: IdArg, as_org: AsOpt, reason: ReasonOpt, home: HomeOpt = None, as_json: JsonOpt = False
) -> None:
    """Revoke a certificate of origin, quarantine certificate or rail consignment."""
    from chaincode.transactions import Op

    with node_of(home) as node:
        receipt = guard(lambda: node.submit(as_org, Op.REVOKE, doc=doc_id, reason=reason))
    show_receipt(receipt, as_json)


@ledger_app.command("verify")
def ledger_verify(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Re-check the whole log: hashes, chain, signatures, Merkle nodes, every checkpoint."""
    from api.views import log_check_json
    from chaincode.read_policy import OPERATOR

    with node_of(home) as node:
        result = guard(
            lambda: node.audit_log(
                OPERATOR,
                None if as_json else lambda done, total: err.print(f"  checked {done}/{total}"),
            )
        )
    if as_json:
        emit_json(log_check_json(result))
    else:
        facts = result.facts
        out.print(
            f"checked {facts.entries} entries (index, hash chain, canonical form, Merkle nodes), "
            f"{facts.signatures} transaction signatures, {facts.checkpoints} checkpoints "
            "(signature, root, consistency)"
        )
        problems = result.failures()
        for problem in problems:
            out.print(f"[red]FAIL[/] {escape(problem.reason)}")
        out.print("[green]ledger OK[/]" if result.valid else f"[red]{len(problems)} problem(s)[/]")
    raise typer.Exit(0 if result.valid else 1)


@ledger_app.command("checkpoint")
def ledger_checkpoint(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Print the latest signed checkpoint (C2SP signed note) and the key that verifies it."""
    with node_of(home) as node:
        info = guard(node.checkpoint)
    if as_json:
        emit_json({"checkpoint": info.checkpoint, "key": info.key})
    else:
        sys.stdout.write(info.checkpoint)


@ledger_app.command("prove")
def ledger_prove(
    doc_id: IdArg,
    output: Annotated[Path, typer.Option("--out", help="Where to write the proof JSON.")],
    home: HomeOpt = None,
) -> None:
    """Write an offline proof of a document's history against the latest checkpoint."""
    from chaincode.read_policy import OPERATOR

    with node_of(home) as node:
        proof = guard(lambda: node.proof(doc_id, OPERATOR))
    output.write_text(json.dumps(proof, indent=2) + "\n")
    err.print(f"Wrote a proof of {len(proof['entries'])} entries to {output}", markup=False)


@proof_app.command("check")
def proof_check(
    file: Annotated[Path, typer.Argument(help="A proof bundle (tdx ledger prove --out F).")],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="A signed checkpoint you trust: the bundle's must be the same."
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="Pin the checkpoint verifier key (name+id+key).")
    ] = None,
    operator_key: Annotated[
        Path | None,
        typer.Option("--operator-key", help="Pin the trust list's signer: a PEM public key file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a proof bundle offline, with no node and no home: exit 0 if it holds.

    Checks the checkpoint's signature, each entry's inclusion and signature, each signer's
    certificate chain to a root on the bundle's signed trust list at the transaction's time,
    and its revocation. Without --key / --operator-key the bundle's own keys are used (their
    ids are printed): pin them to refuse a bundle signed by anyone else."""
    from ledger.tlog import proofs

    proof = read_json(file, "the proof bundle")
    trusted = None if checkpoint_file is None else read_text(checkpoint_file, "the checkpoint")
    operator = None if operator_key is None else read_text(operator_key, "the operator key")
    result = proofs.check(proof, trusted, key, operator)
    if as_json:
        emit_json({"ok": result.valid, **result.to_json()})
    else:
        render_checks(out, result)
        out.print("[green]PROOF OK[/]" if result.valid else "[red]PROOF FAILED[/]")
    raise typer.Exit(0 if result.valid else 1)
