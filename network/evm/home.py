"""A node home on the EVM engine: deploying the contract for it, and opening its ledger.

``deploy(rpc_url, home)`` deploys TradeLedger with the home's countries as founding members,
registers every organisation of the home (its certified roles and the SHA-256 of its ledger
certificate) by its own country's authority, and writes ``evm.json`` in the home.

Accounts:
- An organisation's EVM account *is* its secp256k1 ledger key (``orgs/<id>/ledger.key``);
  its address comes from its ledger certificate's public key.
- A country authority's account is derived, deterministically, from that country's root
  key in the home: HKDF-SHA256 over the root's private scalar, info
  ``tdx evm country authority <CC>``. Redeploying from the same home gives the same
  authorities, and no new secret is stored. (A production country keeps its authority key
  in its own HSM; this derivation is for homes that hold the roots, as the demo does.)
- Gas: on a development chain (anvil, chain id 1337 or 31337), accounts whose balance is
  low are funded from anvil's well-known development account 0. On any other chain the
  accounts must already be funded (or the network must run free gas), and ``deploy`` says so.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import coincurve
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from identity import keys
from identity.certificates import Purpose
from ledger.evm import EvmConfig, EvmLedger, retry
from ledger.evm.chain import Chain, consent, deploy_ledger, registration_digest
from ledger.evm.codes import ROLE_BITS
from ledger.interface import Identities
from network.evm.anvil import dev_accounts
from network.home import Home, HomeError

EVM_FILE = "evm.json"
INDEX_FILE = "evm-index.db"
DEV_CHAINS = (1337, 31337)
FUND_WEI = 10**18  # 1 ether: thousands of transactions at anvil's fees
LOW_BALANCE_WEI = FUND_WEI // 2


def address_of(cert: x509.Certificate) -> str:
    """The EVM address of a certificate's secp256k1 key: keccak of the point, last 20 bytes."""
    point = cert.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return to_checksum_address(keccak(point[1:])[-20:])


def org_account(home: Home, org_id: str) -> LocalAccount:
    """The organisation's ledger key as an EVM account."""
    key = home.signing_key(org_id, Purpose.LEDGER)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise HomeError(f"{org_id}'s ledger key is not secp256k1")
    account: LocalAccount = Account.from_key(
        key.private_numbers().private_value.to_bytes(32, "big")
    )
    return account


def authority_account(home: Home, country: str) -> LocalAccount:
    """The country authority's account, derived from the country root key (see above)."""
    root_key = keys.load(home.path / "roots" / f"{country}.key", home.passphrase())
    if not isinstance(root_key, ec.EllipticCurvePrivateKey):
        raise HomeError(f"the {country} root key is not an EC key")
    secret = root_key.private_numbers().private_value.to_bytes(32, "big")
    for counter in range(16):  # a derived value outside the curve order is astronomically rare
        info = f"tdx evm country authority {country}".encode() + bytes([counter] if counter else [])
        derived = HKDF(hashes.SHA256(), 32, None, info).derive(secret)
        try:
            coincurve.PrivateKey(derived)
        except ValueError:
            continue
        account: LocalAccount = Account.from_key(derived)
        return account
    raise HomeError(f"could not derive the {country} authority key")


def directory(home: Home) -> dict[str, str]:
    """Every organisation of the home and its EVM address."""
    return {o: address_of(home.credentials(o).ledger_cert) for o in home.org_ids()}


def _countries(home: Home) -> list[str]:
    return sorted({home.credentials(o).organisation.country for o in home.org_ids()})


def _roles(home: Home, org_id: str) -> int:
    """The roles the organisation's country may certify, as the contract's bits."""
    creds = home.credentials(org_id)
    entry = home.trust_list().entry_for_root(creds.root)
    allowed = entry.roles if entry is not None else frozenset()
    mask = 0
    for role in creds.organisation.roles & allowed:
        mask |= ROLE_BITS[role.value]
    return mask


def _collect(chain: Chain, hashes_: list[bytes]) -> list[TxReceipt]:
    receipts = []
    for h in hashes_:
        receipt = retry(
            lambda h=h: chain.w3.eth.wait_for_transaction_receipt(h, timeout=60, poll_latency=0.01)  # type: ignore[misc]
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"deployment transaction 0x{h.hex()} failed")
        receipts.append(receipt)
    return receipts


def funding_transaction(chain: Chain, funder: LocalAccount, address: str, value: int) -> bytes:
    """A signed transfer of ``value`` wei from ``funder`` to ``address`` (EIP-1559, at fees
    far above anvil's), its nonce taken from the chain's count for ``funder``."""
    tx: dict[str, Any] = {
        "to": address,
        "value": value,
        "chainId": chain.chain_id,
        "nonce": chain.nonce(funder),
        "gas": 21_000,
        "maxFeePerGas": 100 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "type": 2,
    }
    return bytes(funder.sign_transaction(tx).raw_transaction)


def _fund(chain: Chain, funder: LocalAccount, addresses: list[str]) -> None:
    """Top up low balances, pipelined: send every transfer, then collect the receipts."""
    sent = []
    for address in addresses:
        if int(retry(lambda a=address: chain.w3.eth.get_balance(a))) >= LOW_BALANCE_WEI:  # type: ignore[misc]
            continue
        raw = funding_transaction(chain, funder, address, FUND_WEI)
        sent.append(bytes(retry(lambda r=raw: chain.w3.eth.send_raw_transaction(r))))  # type: ignore[misc]
    _collect(chain, sent)


def deploy(
    rpc_url: str,
    home: Home,
    progress: Callable[[str], None] = lambda _: None,
    funder: LocalAccount | None = None,
) -> str:
    """Deploy TradeLedger for this home, register its organisations, write ``evm.json``;
    the contract's address."""
    chain = retry(lambda: Chain.connect(rpc_url))
    countries = _countries(home)
    authorities = {c: authority_account(home, c) for c in countries}
    orgs = directory(home)
    if funder is None and chain.chain_id in DEV_CHAINS:
        funder = dev_accounts(1)[0]
    if funder is not None:
        progress(f"funding {len(authorities) + len(orgs)} accounts on chain {chain.chain_id}")
        _fund(chain, funder, [a.address for a in authorities.values()] + list(orgs.values()))
    progress(f"deploying TradeLedger with founding countries {', '.join(countries)}")
    deployer = authorities[countries[0]]
    contract = deploy_ledger(chain, deployer, countries, [a.address for a in authorities.values()])
    block = int(retry(lambda: chain.w3.eth.block_number))
    progress(
        f"registering {len(orgs)} organisations (each by its own country's authority, "
        "with the organisation's signed consent)"
    )
    sent = []
    for org_id, address in orgs.items():
        creds = home.credentials(org_id)
        country = creds.organisation.country
        certificate = hashlib.sha256(
            creds.ledger_cert.public_bytes(serialization.Encoding.DER)
        ).digest()
        # The organisation's own key consents to being registered by its country: no
        # country can claim an account that did not agree to it.
        digest = registration_digest(
            chain.chain_id, contract.address, address, country, certificate
        )
        signature = consent(org_account(home, org_id), digest)
        fn = contract.functions.registerOrganisation(
            address, _roles(home, org_id), certificate, signature
        )
        data = bytes.fromhex(fn._encode_transaction_data()[2:])
        raw = chain.sign(authorities[country], contract.address, data, 250_000)
        sent.append(bytes(retry(lambda r=raw: chain.w3.eth.send_raw_transaction(r))))  # type: ignore[misc]
    _collect(chain, sent)
    record = {
        "rpc": rpc_url,
        "chainId": chain.chain_id,
        "contract": contract.address,
        # The block before the deployment's receipt would do as well; this one is certain to
        # be at or before every event of the contract, so the indexer starts here.
        "deployBlock": max(0, block - 1),
        "deployedAt": datetime.datetime.now(datetime.UTC).isoformat(),
        "authorities": {c: a.address for c, a in authorities.items()},
        "authorityKeys": "HKDF-SHA256(country root key, 'tdx evm country authority <CC>')",
        "organisations": orgs,
    }
    (home.path / EVM_FILE).write_text(json.dumps(record, indent=2) + "\n")
    # A new contract starts a new index.
    (home.path / INDEX_FILE).unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (home.path / (INDEX_FILE + suffix)).unlink(missing_ok=True)
    progress(f"TradeLedger at {contract.address} (block {block}); wrote {EVM_FILE}")
    return str(contract.address)


def evm_config(home: Home, rpc_url: str | None = None) -> EvmConfig:
    """The contract this home was deployed to (``tdx evm deploy``), at ``rpc_url`` if given."""
    path: Path = home.path / EVM_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise HomeError(
            f"no {EVM_FILE} in {home.path}: run `tdx evm deploy --rpc URL` first"
        ) from None
    return EvmConfig(
        rpc_url or str(data["rpc"]),
        str(data["contract"]),
        int(data["deployBlock"]),
        int(data["chainId"]),
    )


def open_ledger(
    home: Home,
    identities: Identities,
    rpc_url: str | None = None,
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> EvmLedger:
    """The home's EVM ledger: its index in the home, its organisations' keys as accounts."""
    orgs = home.org_ids()

    def keys_of(org_id: str) -> LocalAccount | None:
        return org_account(home, org_id) if org_id in orgs else None

    return EvmLedger(
        evm_config(home, rpc_url),
        home.path / INDEX_FILE,
        identities,
        directory(home),
        keys_of,
        clock,
    )


__all__ = [
    "EVM_FILE",
    "INDEX_FILE",
    "address_of",
    "authority_account",
    "deploy",
    "directory",
    "evm_config",
    "open_ledger",
    "org_account",
]
