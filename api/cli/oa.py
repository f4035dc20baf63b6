"""tdx oa ...: OpenAttestation v2 / TradeTrust documents, wrapped, exported and verified.

The node's own TradeTrust presence lives in ``HOME/oa.json`` (``network.platforms``):
``deploy-store`` / ``deploy-registry --as ORG`` write it (that organisation's ledger key, its
EVM account, then signs for the contract); ``export ID...`` issues documents from the
node's store, ``export-ebl`` and ``reclaim`` move an eBL's control to a token registry and
back, ``sync`` carries revocations still due. Transactions of the other commands are
signed with ``--key`` (hex; or $TDX_OA_KEY); on a development chain (anvil, chain id 1337
or 31337) it defaults to anvil's well-known account 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount

from api.cli.common import (
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
from chaincode.canonical import CanonicalizationError, parse_json
from chaincode.documents.registry import InvalidDocumentError, validate_document
from interop.oa import (
    ContractsMissingError,
    DocumentStore,
    OaError,
    OaIssuer,
    StaticDnsTxt,
    TokenRegistry,
    dumps,
    export_documents,
    obfuscate,
    record_text,
    token_id,
    verify_documents,
    wrap_documents,
)
from interop.oa.document import Wrapped, issuers_of, parse_wrapped
from interop.oa.issuance import issue_batch, mint_title
from interop.oa.merkle import path_nodes
from ledger.evm.chain import Chain, TxError
from network import trust_list_dns
from network.evm.anvil import dev_accounts
from network.evm.home import org_account
from network.home import Home, default_home
from network.platforms import oa_dns, oa_exports, oa_settings, tradetrust

if TYPE_CHECKING:
    from network.node import Node

app = typer.Typer(
    no_args_is_help=True, help="OpenAttestation v2 (TradeTrust): wrap, export, verify."
)

DEV_CHAINS = (1337, 31337)
T = TypeVar("T")
RpcOpt = Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the EVM node.")]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="TDX_OA_KEY",
        help="Signing key (hex) [default on anvil: its development account 0].",
        show_default=False,
    ),
]
FilesArg = Annotated[
    list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON files.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write here (a directory for several documents).")
]


def _guarded(fn: Callable[[], T]) -> T:
    try:
        return guard(fn)
    except (OaError, ContractsMissingError, TxError, ValueError, OSError) as exc:
        fail(str(exc))


def _read(path: Path) -> Any:
    try:
        return parse_json(path.read_bytes())
    except CanonicalizationError as exc:
        fail(f"{path}: {exc}")


def _account(
    chain: Chain, key: str | None, home: Home | None = None, org: str | None = None
) -> LocalAccount:
    if org is not None and home is not None:
        return oa_settings.funded(chain, _guarded(lambda: org_account(home, org)))
    if key:
        account: LocalAccount = Account.from_key(key)
        return account
    if chain.chain_id not in DEV_CHAINS:
        fail(f"chain {chain.chain_id} is not a development chain: give --key (or $TDX_OA_KEY)")
    err.print("oa: signing with anvil's development account 0", markup=False)
    return dev_accounts(1)[0]


def _connect(rpc: str) -> Chain:
    return _guarded(lambda: Chain.connect(rpc))


def _write(documents: list[dict[str, Any]], names: list[str], output: Path | None) -> list[str]:
    """One document to --out FILE (or stdout), several into the --out directory."""
    if len(documents) == 1 and (output is None or output.suffix == ".json"):
        text = dumps(documents[0], indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
            return ["-"]
        output.write_text(text, encoding="utf-8")
        return [str(output)]
    if output is None:
        fail("several documents: give --out DIRECTORY")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (document, name) in enumerate(zip(documents, names, strict=True)):
        target = output / (name if names.count(name) == 1 else f"{Path(name).stem}-{i}.json")
        target.write_text(dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(str(target))
    return written


def _contract(wrapped: Wrapped, kind: str) -> str:
    issuers = issuers_of(wrapped.data)
    if len(issuers) != 1 or issuers[0].store_kind != kind or not issuers[0].address:
        raise OaError("data.issuers", f"must be one issuer with a {kind}")
    return issuers[0].address


AsSignerOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="The organisation whose ledger key owns the contract (written to HOME/oa.json).",
    ),
]


def _unchecked(home: Path | None) -> Home:
    """The home named (or the default one), which may not exist: the commands that take no
    organisation's key work without one, and remember their contracts in one that does."""
    return Home(home or default_home())


def _remember(home: Path | None, **settings: object) -> str | None:
    """Write the node's TradeTrust settings into its home, if there is one."""
    target = _unchecked(home)
    if not target.exists():
        return None
    _guarded(lambda: oa_settings.save(target, **settings))
    return str(oa_settings.path_of(target))


def _current(home: Path | None) -> oa_settings.OaSettings | None:
    target = _unchecked(home)
    if not oa_settings.path_of(target).is_file():
        return None
    return _guarded(lambda: oa_settings.load(target))


def _txt(current: oa_settings.OaSettings | None, location: str, record: str) -> dict[str, Any]:
    """The TXT records the home knows, with this contract's at ``location``."""
    txt = {k: list(v) for k, v in current.dnsTxt.items()} if current else {}
    txt[location] = [*[r for r in txt.get(location, []) if r != record], record]
    return txt


def _issuer_name(home: Path | None, org: str | None, name: str) -> str:
    if org is None or not _unchecked(home).exists():
        return name
    found = next((o.name for o in home_of(home).organisations() if o.id == org), None)
    return found or name


@app.command("deploy-store")
def deploy_store(
    rpc: RpcOpt,
    name: Annotated[str, typer.Option("--name", help="The store's name.")] = "tdx",
    domain: Annotated[
        str | None, typer.Option("--dns-location", help="The issuer's DNS domain (its TXT record).")
    ] = None,
    as_org: AsSignerOpt = None,
    key: KeyOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deploy TradeTrust's DocumentStore (the official bytecode); the node's home remembers it."""
    chain = _connect(rpc)
    account = _account(chain, key, home_of(home) if as_org else None, as_org)
    store = _guarded(lambda: DocumentStore.deploy(chain, account, name))
    record = record_text(store.address, chain.chain_id)
    current = _current(home)
    location = domain or (current.dnsLocation if current else "tradetrust.tdx.example")
    written = _remember(
        home,
        rpc=rpc,
        chainId=chain.chain_id,
        issuerName=_issuer_name(home, as_org, name),
        dnsLocation=location,
        documentStore=store.address,
        storeSigner=as_org,
        dnsTxt=_txt(current, location, record),
    )
    if as_json:
        emit_json(
            {
                "documentStore": store.address,
                "chainId": chain.chain_id,
                "dnsTxt": record,
                "settings": written,
            }
        )
        return
    out.print(f"DocumentStore {store.address} on chain {chain.chain_id}")
    out.print(f"DNS TXT record{' at ' + domain if domain else ''}: {record}", markup=False)


@app.command("deploy-registry")
def deploy_registry(
    rpc: RpcOpt,
    name: Annotated[str, typer.Option("--name")] = "tdx eBL",
    symbol: Annotated[str, typer.Option("--symbol")] = "TDXEBL",
    domain: Annotated[
        str | None, typer.Option("--dns-location", help="The issuer's DNS domain (its TXT record).")
    ] = None,
    as_org: AsSignerOpt = None,
    key: KeyOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deploy TradeTrust's token registry (TitleEscrowFactory + TradeTrustToken) for eBLs;
    the node's home remembers it (the --as organisation mints and burns its titles)."""
    chain = _connect(rpc)
    account = _account(chain, key, home_of(home) if as_org else None, as_org)
    registry = _guarded(lambda: TokenRegistry.deploy(chain, account, name, symbol))
    record = record_text(registry.address, chain.chain_id)
    current = _current(home)
    location = domain or (current.dnsLocation if current else "tradetrust.tdx.example")
    written = _remember(
        home,
        rpc=rpc,
        chainId=chain.chain_id,
        issuerName=current.issuerName if current else _issuer_name(home, as_org, name),
        dnsLocation=location,
        tokenRegistry=registry.address,
        registrySigner=as_org,
        dnsTxt=_txt(current, location, record),
    )
    if as_json:
        emit_json(
            {
                "tokenRegistry": registry.address,
                "chainId": chain.chain_id,
                "dnsTxt": record,
                "settings": written,
            }
        )
        return
    out.print(f"TradeTrustToken {registry.address} on chain {chain.chain_id}")
    out.print(f"DNS TXT record: {record}", markup=False)


@app.command()
def wrap(files: FilesArg, output: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Wrap raw OpenAttestation v2 data files as one batch (one Merkle root)."""
    wrapped = _guarded(lambda: wrap_documents([_read(f) for f in files]))
    written = _write(wrapped, [f.name for f in files], output)
    if as_json:
        emit_json({"merkleRoot": wrapped[0]["signature"]["merkleRoot"], "files": written})
    elif written != ["-"]:
        err.print(f"Wrapped {len(files)} document(s) under {wrapped[0]['signature']['merkleRoot']}")


@app.command("export-files")
def export_files(
    kind: KindArg,
    files: FilesArg,
    issuer_name: Annotated[str, typer.Option("--issuer-name", help="The issuer's name.")],
    location: Annotated[str, typer.Option("--dns-location", help="The issuer's DNS domain.")],
    store: Annotated[
        str | None, typer.Option("--store", help="DocumentStore address (documents).")
    ] = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="Token registry address (an eBL title).")
    ] = None,
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="Also issue the batch (or mint the title) here.")
    ] = None,
    beneficiary: Annotated[str | None, typer.Option("--beneficiary")] = None,
    holder: Annotated[str | None, typer.Option("--holder")] = None,
    key: KeyOpt = None,
    output: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export tdx documents as one OpenAttestation batch, linked to their tdx digests; with
    --rpc, issue the batch on --store, or mint the eBL's title on --registry."""
    try:
        documents = [validate_document(kind, f.read_bytes()) for f in files]
    except InvalidDocumentError as exc:
        fail(f"invalid {exc.kind.value}: {exc.errors[0]} ({len(exc.errors)} error(s))")
    issuer = OaIssuer(issuer_name, location, document_store=store, token_registry=registry)
    wrapped = _guarded(lambda: export_documents(documents, issuer))
    done: dict[str, Any] = {"merkleRoot": wrapped[0]["signature"]["merkleRoot"]}
    if rpc is not None:
        chain = _connect(rpc)
        account = _account(chain, key)
        if store is not None:
            target = _guarded(lambda: DocumentStore.at(chain, store))
            receipt = _guarded(lambda: issue_batch(target, account, wrapped))
            done["issued"] = {"documentStore": target.address, "block": receipt["blockNumber"]}
        else:
            if len(wrapped) != 1 or not beneficiary or not holder:
                fail("minting needs one eBL, --beneficiary and --holder")
            reg = _guarded(lambda: TokenRegistry.at(chain, str(registry)))
            title = _guarded(lambda: mint_title(reg, account, wrapped[0], beneficiary, holder))
            done["title"] = title.to_json()
    done["files"] = _write(wrapped, [f.name for f in files], output)
    if as_json:
        emit_json(done)
    elif done["files"] != ["-"]:
        err.print(json.dumps(done, indent=2), markup=False)


def _oa_fail(fn: Callable[[], T]) -> T:
    try:
        return _guarded(fn)
    except (oa_exports.ExportError, oa_settings.OaSettingsError, tradetrust.TitleError) as exc:
        fail(str(exc))


HideOpt = Annotated[
    list[str] | None,
    typer.Option("--hide", help="A field path to hide, as obfuscateDocument (repeatable)."),
]


@app.command()
def export(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids, sha256:<hex> (a batch).")],
    output: Annotated[
        Path, typer.Option("--out", help="A .json file (one document), else a directory.")
    ],
    hide: HideOpt = None,
    no_issue: Annotated[
        bool, typer.Option("--no-issue", help="Wrap only; do not issue the root.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export documents of this node's store as one OpenAttestation batch, issued on the
    node's DocumentStore (HOME/oa.json); a revocation in tdx later revokes them there."""
    with node_of(home) as node:
        done = _oa_fail(
            lambda: oa_exports.export_from_store(node, doc_ids, hide or (), not no_issue)
        )
    names = [d.removeprefix("sha256:")[:16] for d in dict.fromkeys(doc_ids)]
    written = oa_exports.write(done.documents, names, output)
    result = {
        "merkleRoot": done.merkle_root,
        "issued": done.issued,
        "files": [str(p) for p in written],
    }
    if as_json:
        emit_json(result)
    else:
        where = f" on {done.issued['documentStore']}" if done.issued else " (not issued)"
        out.print(f"Exported {len(written)} document(s) under {done.merkle_root}{where}")


@app.command("export-ebl")
def export_ebl(
    doc_id: IdArg,
    registry: Annotated[str, typer.Option("--registry", help="The token registry's address.")],
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the OA document here.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move the eBL's control to a TradeTrust token registry: the ledger first, then the
    title minted in a TitleEscrow held by the current holder's own account."""
    with node_of(home) as node:
        title = _oa_fail(lambda: tradetrust.export_ebl(node, doc_id, registry))
    if output is not None:
        output.write_text(dumps(title.document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        emit_json(title.to_json() | {"file": str(output) if output else None})
    else:
        out.print(f"eBL {doc_id} is on {title.registry} as token 0x{title.token}", markup=False)
        for k, v in title.title.to_json().items():
            out.print(f"  {k}: {v}", markup=False)


@app.command()
def reclaim(
    doc_id: IdArg,
    by: Annotated[
        str | None,
        typer.Option("--from", help="The organisation that returned it [default: its exporter]."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring an eBL's control home once its title was returned to the issuer on the registry
    (checked on chain; the title is burnt there first): a surrender pending with the carrier."""
    with node_of(home) as node:
        title = _oa_fail(lambda: tradetrust.reclaim_ebl(node, doc_id, by))
        record = node.require(doc_id)
    result = {
        "documentId": doc_id,
        "state": record.state.value,
        "holder": record.holder,
        "surrenderedBy": record.surrendered_by,
        "title": title.to_json(),
    }
    if as_json:
        emit_json(result)
    else:
        out.print(
            f"eBL {doc_id} is home: {record.state.value}, surrendered by {record.surrendered_by}",
            markup=False,
        )


def _due(node: Node) -> list[dict[str, str]]:
    return [
        {"documentId": d, "targetHash": t, "documentStore": s} for d, t, s in oa_exports.due(node)
    ]


@app.command()
def sync(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Carry to the DocumentStore every revocation still due (documents revoked, amended or
    replaced in tdx since their export) now; a served node retries them by itself. Nothing
    is lost, each is sent once."""
    with node_of(home) as node:
        try:
            done = oa_exports.propagate_revocations(node)
        except Exception as exc:
            still = len(_due(node))
            fail(f"{exc} ({still} revocation(s) still due: tdx oa status)")
    if as_json:
        emit_json([r.to_json() for r in done])
    else:
        out.print(f"{len(done)} revocation(s) carried to the DocumentStore")


@app.command()
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The revocations still due on the DocumentStore, and how the last attempt to carry
    them went (a served node's courier retries them; tdx oa sync carries them now)."""
    with node_of(home) as node:
        due = _due(node)
        with oa_exports.book_of(node) as book:
            last = book.last_attempt()
    attempt = None if last is None else {"at": last[0], "error": last[1]}
    if as_json:
        emit_json({"due": due, "lastAttempt": attempt})
        return
    out.print(f"{len(due)} revocation(s) due on the DocumentStore", markup=False)
    for item in due:
        out.print(f"  {item['documentId']}: targetHash 0x{item['targetHash']}", markup=False)
    if attempt is not None:
        how = f"failed: {attempt['error']}" if attempt["error"] else "succeeded"
        out.print(f"last attempt {attempt['at']}: {how}", markup=False)


@app.command("trust-dns")
def trust_dns(
    country: Annotated[str, typer.Option("--country", help="The trust-list entry (e.g. SG).")],
    dns_txt: Annotated[
        list[str] | None,
        typer.Option("--dns-txt", help="A TXT record to vouch for, DOMAIN=RECORD (repeatable)."),
    ] = None,
    own: Annotated[
        bool, typer.Option("--own", help="Vouch for this node's own contracts (HOME/oa.json).")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Instead of the entry's records, not beside them.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-sign the trust list (operator key) with DNS-TXT records that a country's entry
    vouches for; tdx oa verify and tdx verify then read them where no --dns-txt is given."""
    target = home_of(home)
    records: dict[str, list[str]] = {}
    for pair in dns_txt or []:
        domain, sep, record = pair.partition("=")
        if not sep or not domain.strip() or not record.strip():
            fail(f"--dns-txt: {pair!r} is not DOMAIN=RECORD")
        records.setdefault(domain.strip(), []).append(record.strip())
    if own:
        settings = _oa_fail(lambda: oa_settings.load(target))
        location = settings.dnsLocation
        records.setdefault(location, []).extend(settings.resolver()(location))
    if not records and not replace:
        fail("nothing to vouch for: give --dns-txt DOMAIN=RECORD or --own")
    signed = _guarded(lambda: trust_list_dns.vouch(target, country, records, now(), replace))
    entry = signed.entries[country]
    listed = {domain: list(r) for domain, r in entry.dns_txt}
    if as_json:
        emit_json({"sequence": signed.sequence, "country": country, "dnsTxt": listed})
        return
    out.print(f"Trust list {signed.sequence}: {country} vouches for", markup=False)
    for domain, values in listed.items():
        for value in values:
            out.print(f"  {domain}: {value}", markup=False)


@app.command("obfuscate")
def obfuscate_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fields: Annotated[list[str], typer.Option("--field", help="A path to hide (repeatable).")],
    output: OutOpt = None,
) -> None:
    """Hide fields of a wrapped document; it stays valid."""
    hidden = _guarded(lambda: obfuscate(_read(file), fields))
    _write([hidden], [file.name], output)


@app.command()
def revoke(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    rpc: RpcOpt,
    batch: Annotated[bool, typer.Option("--batch", help="Revoke the whole batch (its root).")] = (
        False
    ),
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a document (its targetHash) or, with --batch, its whole batch, on its store."""
    document = _read(file)
    wrapped = _guarded(lambda: parse_wrapped(document))
    address = _guarded(lambda: _contract(wrapped, "documentStore"))
    chain = _connect(rpc)
    store = _guarded(lambda: DocumentStore.at(chain, address))
    nodes = path_nodes(bytes.fromhex(wrapped.target_hash), wrapped.proof)
    node = nodes[-1] if batch else nodes[0]
    _guarded(lambda: store.revoke(_account(chain, key), node))
    if as_json:
        emit_json({"revoked": "0x" + node.hex(), "documentStore": store.address})
    else:
        out.print(f"Revoked 0x{node.hex()} on {store.address}")


@app.command()
def title(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    rpc: RpcOpt,
    as_json: JsonOpt = False,
) -> None:
    """An eBL's title on its token registry: state, beneficiary and holder."""
    document = _read(file)
    wrapped = _guarded(lambda: parse_wrapped(document))
    address = _guarded(lambda: _contract(wrapped, "tokenRegistry"))
    chain = _connect(rpc)
    found = _guarded(lambda: TokenRegistry.at(chain, address).title(token_id(wrapped.merkle_root)))
    if as_json:
        emit_json(found.to_json())
    else:
        for k, v in found.to_json().items():
            out.print(f"{k}: {v}", markup=False)


@app.command()
def verify(
    files: FilesArg,
    rpc: Annotated[str | None, typer.Option("--rpc", help="EVM JSON-RPC URL.")] = None,
    dns_txt: Annotated[
        list[str] | None,
        typer.Option("--dns-txt", help="A TXT record, DOMAIN=RECORD (repeatable)."),
    ] = None,
    dns_file: Annotated[
        Path | None,
        typer.Option("--dns-file", exists=True, help='JSON {"domain": ["record", ...]}.'),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify OpenAttestation v2 documents: exit 0 if all are valid, 1 if any is not. DNS-TXT
    records come from --dns-txt/--dns-file if given, else from the home's signed trust list;
    then from the node's own contracts (HOME/oa.json, whose RPC URL is also the default)."""
    explicit = _guarded(lambda: StaticDnsTxt.from_pairs(dns_txt or []))
    if dns_file is not None:
        explicit = explicit.merged(_guarded(lambda: StaticDnsTxt.from_file(dns_file)))
    settings = _current(home)
    if settings is not None:
        rpc = rpc or settings.rpc
    resolver = oa_dns.resolver(
        _unchecked(home), explicit, settings.resolver() if settings else None
    )
    results = verify_documents([_read(f) for f in files], rpc, resolver)
    if as_json:
        reports = [{"file": str(f)} | r.to_json() for f, r in zip(files, results, strict=True)]
        emit_json(reports[0] if len(reports) == 1 else reports)
    else:
        for f, r in zip(files, results, strict=True):
            out.print(f"{f}: {'VALID' if r.valid else 'INVALID'}", markup=False)
            for fragment in r.fragments:
                out.print(
                    f"  {fragment.status.value:8} {fragment.name}: {fragment.reason}", markup=False
                )
    raise typer.Exit(0 if all(r.valid for r in results) else 1)
