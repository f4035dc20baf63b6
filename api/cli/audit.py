"""tdx audit ...: the node's audit logs, read from its home."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import HomeOpt, JsonOpt, emit_json, guard, home_of, out
from network.peers.audit_log import QueryLog

app = typer.Typer(no_args_is_help=True, help="The node's audit logs.")


@app.command("queries")
def queries(
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="The latest N only.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verification queries this node asked and answered: who, about what, when, and the
    answer given or received."""
    h = home_of(home)
    guard(h.config)
    log = QueryLog(h.path / "queries.db")
    try:
        entries = log.entries(limit)
    finally:
        log.close()
    if as_json:
        emit_json([e.to_json() for e in entries])
        return
    table = Table("at", "direction", "peer", "digest", "status", "outcome")
    for e in entries:
        table.add_row(
            e.at.isoformat(timespec="seconds"),
            e.direction,
            e.peer,
            e.digest[:20] + "...",
            e.status or "-",
            e.outcome,
        )
    out.print(table)
