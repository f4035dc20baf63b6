"""Gas, side by side: our TradeLedger contract against TradeTrust's official contracts.

``gas_report(rpc_url, progress)`` deploys, on one EVM node (anvil in tests and on this
machine), TradeTrust's DocumentStore (``@tradetrust-tt/document-store``, bytecode from its
TypeChain factory) and token registry with its title-escrow factory
(``@tradetrust-tt/token-registry``, ``dist/artifacts``), and our ``chaincode/evm`` contract.
It performs the same operations on both and reports ``gasUsed`` from the receipts, the
ratios, pass or fail per target, and the anchors per second with pipelined transactions
(many signed raw transactions sent, then the receipts collected).

Transactions are signed locally with anvil's well-known development keys (the public
``test ... junk`` mnemonic): a benchmark account, never a production key.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from identity.roles import Role
from ledger.evm.chain import (
    Chain,
    TxError,
    consent,
    container_bytes,
    deploy_ledger,
    doc_id_bytes,
    kind_country,
    registration_digest,
)
from ledger.evm.codes import KIND, roles_mask
from ledger.tlog import merkle
from network.evm.anvil import dev_accounts

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"

# TradeTrust's figures on anvil 1.7.1 (standards/README.md), for reference in the report.
TRADETRUST_REFERENCE = {
    "DocumentStore.issue": 47_899,
    "bulkIssue(10)": 266_621,
    "mint": 291_924,
    "transferHolder": 77_845,
    "returnToIssuer": 119_365,
    "burn": 101_512,
}


# --- TradeTrust's contracts from npm ----------------------------------------------------------


_DOCUMENT_STORE_SCRIPT = """
const {DocumentStore__factory} = require(process.argv[1]);
const f = new DocumentStore__factory();
const abi = JSON.parse(f.interface.formatJson());
process.stdout.write(JSON.stringify({abi: abi, bytecode: f.bytecode}));
"""


def tradetrust_document_store() -> dict[str, Any]:
    """DocumentStore's ABI and bytecode, from the package's TypeChain factory."""
    factory = (
        NODE_MODULES
        / "@tradetrust-tt/document-store/dist/contracts/factories/DocumentStore__factory.js"
    )
    node = shutil.which("node")
    if node is None or not factory.is_file():
        raise FileNotFoundError(f"{factory} (or node) is missing: run `npm ci` in {ROOT}")
    done = subprocess.run(  # noqa: S603 (fixed command, our own script)
        [node, "-e", _DOCUMENT_STORE_SCRIPT, str(factory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def tradetrust_registry_artifact(name: str) -> dict[str, Any]:
    path = NODE_MODULES / f"@tradetrust-tt/token-registry/dist/artifacts/{name}.sol/{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `npm ci` in {ROOT}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- the report -------------------------------------------------------------------------------


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _gas(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"])


def _target(
    ours: int, theirs: float, fraction: float, label: str, reference: float
) -> dict[str, Any]:
    """Pass or fail against TradeTrust measured in this run (and, for the record, against
    the figure in standards/README.md)."""
    limit = theirs * fraction
    return {
        "target": label,
        "ours": ours,
        "theirs": theirs,
        "limit": round(limit, 1),
        "ratio": round(ours / theirs, 4) if theirs else None,
        "pass": ours <= limit,
        "reference_limit": round(reference * fraction, 1),
        "pass_vs_reference": ours <= reference * fraction,
    }


@dataclass(frozen=True)
class _TradeTrust:
    store: Contract
    escrow_factory: Contract
    registry: Contract
    escrow_abi: list[dict[str, Any]]


def _deploy_tradetrust(chain: Chain, carrier: LocalAccount) -> _TradeTrust:
    """TradeTrust's official contracts: DocumentStore, TitleEscrowFactory, TradeTrustToken."""
    ds_art = tradetrust_document_store()
    store = chain.deploy(carrier, ds_art["abi"], ds_art["bytecode"], "tdx bench", carrier.address)
    factory_art = tradetrust_registry_artifact("TitleEscrowFactory")
    escrow_factory = chain.deploy(carrier, factory_art["abi"], factory_art["bytecode"])
    token_art = tradetrust_registry_artifact("TradeTrustToken")
    registry = chain.deploy(
        carrier, token_art["abi"], token_art["bytecode"], "tdx eBL", "TDX", escrow_factory.address
    )
    escrow_abi = tradetrust_registry_artifact("TitleEscrow")["abi"]
    chain.learn_errors(escrow_abi)
    return _TradeTrust(store, escrow_factory, registry, escrow_abi)


def _deploy_ours(chain: Chain, accounts: Sequence[LocalAccount]) -> tuple[Contract, int]:
    """TradeLedger, with one member country and its organisations registered (each consents
    to its registration); and the carrier's number (the carrier's eBLs are its own)."""
    authority, carrier, alice, bob, terminal = accounts
    ledger = deploy_ledger(chain, authority, ["SG"], [authority.address])
    fns = ledger.functions
    cert = _digest("certificate")
    for account, roles in (
        (carrier, roles_mask(Role.CARRIER, Role.CO_ISSUER, Role.QUARANTINE, Role.RAIL)),
        (alice, roles_mask(Role.SHIPPER)),
        (bob, roles_mask(Role.CONSIGNEE, Role.BANK)),
        (terminal, roles_mask(Role.TERMINAL)),
    ):
        digest = registration_digest(chain.chain_id, ledger.address, account.address, "SG", cert)
        chain.send(
            authority,
            fns.registerOrganisation(account.address, roles, cert, consent(account, digest)),
        )
    return ledger, int(fns.organisation(carrier.address).call()[0])


def _anchoring(
    chain: Chain, carrier: LocalAccount, tt: _TradeTrust, fns: Any, run: str, batch_size: int
) -> tuple[dict[str, int], dict[str, int]]:
    """One document, ten and a batch: ours and TradeTrust's gas."""
    theirs = {
        "DocumentStore.issue": _gas(
            chain.send(carrier, tt.store.functions.issue(_digest(run + "tt-doc")))
        )
    }
    ours = {
        "issue": _gas(
            chain.send(carrier, fns.issue(_digest(run + "doc"), kind_country("co", "SG")))
        )
    }
    bulk = [_digest(f"{run}tt-bulk{i}") for i in range(10)]
    theirs["bulkIssue(10)"] = _gas(chain.send(carrier, tt.store.functions.bulkIssue(bulk)))
    ids = [f"sha256:{_digest(f'{run}batch{i}').hex()}" for i in range(batch_size)]
    root = merkle.root_of_batch([d.encode() for d in ids])
    ours["anchorBatch"] = _gas(
        chain.send(carrier, fns.anchorBatch(root, KIND["co"], b"SG", batch_size))
    )
    store_nodes = merkle.MemoryNodeStore()
    for d in ids:
        store_nodes.append(merkle.leaf_hash(d.encode()))
    index = batch_size // 3
    proof = merkle.inclusion_proof(store_nodes, index, batch_size)
    ours["revokeInBatch"] = _gas(
        chain.send(
            carrier,
            fns.revokeInBatch(doc_id_bytes(ids[index]), "withdrawn", root, index, proof),
        )
    )
    return ours, theirs


def _tradetrust_ebl(
    chain: Chain, accounts: Sequence[LocalAccount], tt: _TradeTrust, run: str
) -> dict[str, int]:
    """TradeTrust's token registry: mint, transferHolder, returnToIssuer and burn."""
    _, carrier, alice, bob, _ = accounts
    registry = tt.registry.functions
    tokens = [int.from_bytes(_digest(f"{run}token{i}"), "big") for i in range(2)]
    theirs = {
        "mint": _gas(
            chain.send(carrier, registry.mint(alice.address, alice.address, tokens[0], b""))
        )
    }
    escrow = chain.w3.eth.contract(address=registry.ownerOf(tokens[0]).call(), abi=tt.escrow_abi)
    theirs["transferHolder"] = _gas(
        chain.send(alice, escrow.functions.transferHolder(bob.address, b""))
    )
    chain.send(carrier, registry.mint(alice.address, alice.address, tokens[1], b""))
    escrow2 = chain.w3.eth.contract(address=registry.ownerOf(tokens[1]).call(), abi=tt.escrow_abi)
    theirs["returnToIssuer"] = _gas(chain.send(alice, escrow2.functions.returnToIssuer(b"")))
    theirs["burn"] = _gas(chain.send(carrier, registry.burn(tokens[1], b"")))
    return theirs


def _our_ebl(
    chain: Chain, accounts: Sequence[LocalAccount], fns: Any, number: int, run: str
) -> dict[str, int]:
    """Our eBL from issue to pickup (``number``: its carrier's)."""
    _, carrier, alice, bob, terminal = accounts
    ebl = _digest(run + "ebl")
    containers = [container_bytes("MSCU1234566"), container_bytes("TGHU1234560")]
    ours = {
        "issueEbl": _gas(
            chain.send(carrier, fns.issueEbl(ebl, b"SG", alice.address, True, containers))
        )
    }
    ours["transfer"] = _gas(chain.send(alice, fns.transfer(ebl, number, bob.address)))
    ours["endorse"] = _gas(chain.send(bob, fns.endorse(ebl, number, alice.address)))
    ours["surrender"] = _gas(chain.send(alice, fns.surrender(ebl, number, False)))
    ours["accept"] = _gas(chain.send(carrier, fns.accept(ebl, number)))
    expires = int(chain.w3.eth.get_block("latest")["timestamp"]) + 86_400
    nobody = "0x" + "00" * 20
    ours["release(2 containers)"] = _gas(
        chain.send(
            carrier,
            fns.release(ebl, number, containers, containers, bob.address, expires, nobody, b"SG"),
        )
    )
    ours["delegate"] = _gas(chain.send(bob, fns.delegate(containers[0], ebl, alice.address)))
    ours["pickup"] = _gas(chain.send(terminal, fns.pickup(containers[0], ebl, alice.address)))
    return ours


def _targets(
    ours: Mapping[str, int], theirs: Mapping[str, int], batch_size: int
) -> dict[str, dict[str, Any]]:
    per_doc = ours["anchorBatch"] / batch_size
    ref = TRADETRUST_REFERENCE
    return {
        "one document anchored": _target(
            ours["issue"],
            theirs["DocumentStore.issue"],
            1.0,
            "<= DocumentStore.issue",
            ref["DocumentStore.issue"],
        ),
        f"a batch of {batch_size}, per document": {
            "target": "<= 100 gas per document",
            "ours": round(per_doc, 2),
            "theirs": theirs["bulkIssue(10)"] / 10,
            "limit": 100,
            "ratio": round(per_doc / (theirs["bulkIssue(10)"] / 10), 5),
            "pass": per_doc <= 100,
        },
        "eBL issue": _target(
            ours["issueEbl"], theirs["mint"], 1 / 3, "<= 1/3 of mint", ref["mint"]
        ),
        "eBL transfer": _target(
            ours["transfer"],
            theirs["transferHolder"],
            1 / 2,
            "<= 1/2 of transferHolder",
            ref["transferHolder"],
        ),
        "surrender + accept": _target(
            ours["surrender"] + ours["accept"],
            theirs["returnToIssuer"] + theirs["burn"],
            1 / 2,
            "<= 1/2 of returnToIssuer + burn",
            ref["returnToIssuer"] + ref["burn"],
        ),
    }


def gas_report(
    rpc_url: str,
    progress: Callable[[str], None],
    batch_size: int = 1000,
    pipelined: int = 500,
) -> dict[str, Any]:
    """Deploy both contract sets on ``rpc_url`` and compare gas; JSON-able results."""
    chain = Chain.connect(rpc_url)
    accounts = dev_accounts(5)  # authority, carrier, alice, bob, terminal
    carrier = accounts[1]
    run = f"{time.time_ns()}"  # fresh digests, so one node can be reused across runs
    progress(f"node {rpc_url}: chain id {chain.chain_id}, block {chain.w3.eth.block_number}")
    progress("deploying TradeTrust DocumentStore, TitleEscrowFactory, TradeTrustToken")
    tt = _deploy_tradetrust(chain, carrier)
    progress("deploying TradeLedger and registering organisations")
    ledger, number = _deploy_ours(chain, accounts)
    fns = ledger.functions
    progress(f"one document, and a batch of {batch_size} (one root, RFC 9162 proofs)")
    ours, theirs = _anchoring(chain, carrier, tt, fns, run, batch_size)
    progress("eBL: mint / transferHolder / returnToIssuer + burn vs ours")
    theirs |= _tradetrust_ebl(chain, accounts, tt, run)
    ours |= _our_ebl(chain, accounts, fns, number, run)
    targets = _targets(ours, theirs, batch_size)
    progress(f"pipelining {pipelined} single anchors: send all signed, then collect receipts")
    rate = _pipelined_anchors(chain, carrier, fns, run, pipelined)
    for name, t in targets.items():
        progress(
            f"{name}: ours {t['ours']} vs limit {t['limit']}: {'pass' if t['pass'] else 'FAIL'}"
        )
    return {
        "rpc": rpc_url,
        "chain_id": chain.chain_id,
        "client": chain.w3.client_version,
        "contracts": {
            "ours": ledger.address,
            "DocumentStore": tt.store.address,
            "TradeTrustToken": tt.registry.address,
            "TitleEscrowFactory": tt.escrow_factory.address,
        },
        "gas": {"ours": ours, "tradetrust": theirs},
        "tradetrust_reference_anvil_1_7_1": TRADETRUST_REFERENCE,
        "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
        "pipelined_anchors": rate,
    }


def _pipelined_anchors(
    chain: Chain, account: LocalAccount, fns: Any, run: str, count: int
) -> dict[str, Any]:
    raws = []
    for i in range(count):
        data = fns.issue(
            _digest(f"{run}pipe{i}"), kind_country("co", "SG")
        )._encode_transaction_data()
        raws.append(chain.sign(account, fns.issue.address, bytes.fromhex(data[2:]), 80_000))
    started = time.perf_counter()
    hashes = [chain.w3.eth.send_raw_transaction(raw) for raw in raws]
    gas = 0
    for tx_hash in hashes:
        receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
        if receipt["status"] != 1:
            raise TxError(f"pipelined anchor {tx_hash.hex()} failed")
        gas += int(receipt["gasUsed"])
    seconds = time.perf_counter() - started
    return {
        "transactions": count,
        "seconds": round(seconds, 3),
        "anchors_per_second": round(count / seconds, 1),
        "gas_per_anchor": gas // count,
    }
