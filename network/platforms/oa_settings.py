"""The node's TradeTrust settings, ``HOME/oa.json``: which chain, DocumentStore and token
registry it issues on, the DNS domain whose TXT record names them, the issuer name on its
documents, and which organisations' ledger keys sign for the store and the registry (an
organisation's secp256k1 ledger key is its EVM account: no other key is kept anywhere).

    {"rpc": "http://127.0.0.1:8545", "chainId": 1337, "issuerName": "...",
     "dnsLocation": "tradetrust.tdx.example",
     "documentStore": "0x...", "storeSigner": "cn-gacc",
     "tokenRegistry": "0x...", "registrySigner": "cn-cosco",
     "dnsTxt": {"tradetrust.tdx.example": ["openatts net=ethereum netId=1337 addr=0x..."]}}

``tdx oa deploy-store`` and ``tdx oa deploy-registry`` write it; the file is strict JSON
(unknown fields refused) and every error names the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaincode.canonical import CanonicalizationError, parse_json
from interop.oa import DocumentStore, OaIssuer, StaticDnsTxt, TokenRegistry, record_text
from ledger.evm.chain import Chain
from network.evm.anvil import dev_accounts
from network.evm.home import funding_transaction, org_account
from network.home import Home

FILE_NAME = "oa.json"
DEV_CHAINS = (1337, 31337)  # anvil's and hardhat's: their development accounts are funded
FUND_WEI = 10**20
LOW_BALANCE_WEI = 10**18
FUNDER = 9  # anvil funds development accounts 0 to 9

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class OaSettingsError(ValueError):
    """``oa.json`` is missing, or wrong; the message names the field."""


class OaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rpc: str = Field(pattern=r"^https?://\S+$")
    chainId: int = Field(ge=1)  # noqa: N815 (the file's casing)
    issuerName: str = Field(min_length=1, max_length=200)  # noqa: N815
    dnsLocation: str = Field(min_length=1, max_length=253)  # noqa: N815
    documentStore: Address | None = None  # noqa: N815
    storeSigner: str | None = None  # noqa: N815
    tokenRegistry: Address | None = None  # noqa: N815
    registrySigner: str | None = None  # noqa: N815
    dnsTxt: dict[str, list[str]] = Field(default_factory=dict)  # noqa: N815

    def issuer(self, registry: str | None = None) -> OaIssuer:
        """The OA issuer block: the DocumentStore, or (an eBL title) the token registry."""
        if registry is not None:
            return OaIssuer(self.issuerName, self.dnsLocation, token_registry=registry)
        if self.documentStore is None:
            raise OaSettingsError(f"{FILE_NAME}: documentStore: none (tdx oa deploy-store)")
        return OaIssuer(self.issuerName, self.dnsLocation, document_store=self.documentStore)

    def resolver(self) -> StaticDnsTxt:
        """The TXT records this node knows: its own contracts', and those configured."""
        records: dict[str, list[str]] = {k: list(v) for k, v in self.dnsTxt.items()}
        own = records.setdefault(self.dnsLocation, [])
        for address in (self.documentStore, self.tokenRegistry):
            if address is not None and record_text(address, self.chainId) not in own:
                own.append(record_text(address, self.chainId))
        return StaticDnsTxt(records)

    def connect(self) -> Chain:
        chain = Chain.connect(self.rpc)
        if chain.chain_id != self.chainId:
            raise OaSettingsError(f"{self.rpc} is chain {chain.chain_id}, not {self.chainId}")
        return chain

    def store(self, chain: Chain, home: Home) -> tuple[DocumentStore, LocalAccount]:
        """The DocumentStore and the account that issues and revokes on it (its signer's
        ledger key, from ``home``)."""
        if self.documentStore is None or self.storeSigner is None:
            raise OaSettingsError(
                f"{FILE_NAME}: documentStore and storeSigner are needed "
                "(tdx oa deploy-store --rpc URL --as ORG)"
            )
        return DocumentStore.at(chain, self.documentStore), org_account(home, self.storeSigner)

    def registry(
        self, chain: Chain, address: str, home: Home
    ) -> tuple[TokenRegistry, LocalAccount]:
        """The token registry at ``address`` and the account that mints and burns on it."""
        if self.registrySigner is None:
            raise OaSettingsError(
                f"{FILE_NAME}: registrySigner is needed (tdx oa deploy-registry --as ORG)"
            )
        return TokenRegistry.at(chain, address), org_account(home, self.registrySigner)


def path_of(home: Home) -> Path:
    return home.path / FILE_NAME


def load(home: Home) -> OaSettings:
    path = path_of(home)
    try:
        data = parse_json(path.read_bytes())
    except FileNotFoundError:
        raise OaSettingsError(
            f"no TradeTrust settings at {path}: run tdx oa deploy-store --rpc URL --as ORG"
        ) from None
    except CanonicalizationError as exc:
        raise OaSettingsError(f"{path}: {exc}") from None
    try:
        settings = OaSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "$"
        raise OaSettingsError(f"{path}: {where}: {first['msg']}") from None
    return settings


def save(home: Home, **changes: Any) -> OaSettings:
    """Write ``oa.json`` with ``changes`` over what it holds (a new one needs rpc, chainId,
    issuerName and dnsLocation)."""
    path = path_of(home)
    current = load(home).model_dump(exclude_none=True) if path.is_file() else {}
    merged = current | {k: v for k, v in changes.items() if v is not None}
    try:
        settings = OaSettings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "$"
        raise OaSettingsError(f"{FILE_NAME}: {where}: {first['msg']}") from None
    path.write_text(settings.model_dump_json(indent=2, exclude_none=True) + "\n")
    return settings


def funded(chain: Chain, account: LocalAccount) -> LocalAccount:
    """``account``, topped up from anvil's development account 9 on a development chain (an
    organisation's ledger account starts with nothing to pay gas with)."""
    if chain.chain_id not in DEV_CHAINS:
        return account
    if int(chain.w3.eth.get_balance(account.address)) >= LOW_BALANCE_WEI:
        return account
    # anvil's last development account: not account 0, which deployers and tests use with
    # nonces they count themselves.
    funder = dev_accounts(FUNDER + 1)[FUNDER]
    raw = funding_transaction(chain, funder, account.address, FUND_WEI)
    sent = chain.w3.eth.send_raw_transaction(raw)
    receipt = chain.w3.eth.wait_for_transaction_receipt(sent, timeout=60, poll_latency=0.01)
    if receipt["status"] != 1:
        raise RuntimeError(f"funding {account.address} failed")
    return account


__all__ = ["FILE_NAME", "OaSettings", "OaSettingsError", "funded", "load", "path_of", "save"]
