"""Generate the files that stand up the production ledger: a Hyperledger Besu QBFT network
with one validator per country, local node and account permissioning, and a Docker Compose
file that runs it.

The generator is pure file output (``tdx network besu-config`` wires it to the CLI): it makes
each validator's secp256k1 node key, derives its address and enode URL, and writes a genesis
whose ``extraData`` names exactly those validators, in Besu's documented QBFT format.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import coincurve
import iso3166
from Crypto.Hash import keccak

# Pinned rather than "latest": every country must run the same consensus code. 26.2.0 is
# the first release with the QBFT Shanghai fix (besu #9830), and Shanghai is on at genesis.
BESU_IMAGE = "hyperledger/besu:26.2.0"

# QBFT tolerates f faulty validators out of n >= 3f + 1, so 4 is the least that survives one.
MIN_VALIDATORS = 4
# Static addresses come from one /24 (see SUBNET); the cap keeps them inside it.
MAX_VALIDATORS = 200

SUBNET = "172.16.239.0/24"
_IP_PREFIX = "172.16.239."
_FIRST_HOST = 11
P2P_BASE_PORT = 30303
RPC_BASE_PORT = 8545

# Inside each container: the node directory is the data path (Besu writes its database
# there and reads key and permissions from it); the genesis is shared read-only. Besu's
# docs forbid mounting a volume at the image's default /opt/besu.
CONTAINER_DATA_PATH = "/var/lib/besu"
CONTAINER_GENESIS = "/config/genesis.json"

EPOCH_LENGTH = 30000
# Besu's tutorials use a round timeout of twice the block period (2 s -> 4 s).
REQUEST_TIMEOUT_FACTOR = 2
# 30M gas: room to deploy the largest TradeTrust contract (~24 KB runtime) in one block.
GAS_LIMIT = 30_000_000
# The largest TradeTrust artifact (TitleEscrowSignable, 23,673 bytes) is within 4% of the
# EIP-170 default of 24,576; twice the default leaves room for unoptimised or debug builds.
CONTRACT_SIZE_LIMIT = 2 * 24_576
# 1,000,000 ether per authority: gas is priced (London base fee), so authorities pay for it.
AUTHORITY_BALANCE_WEI = 1_000_000 * 10**18
# Istanbul-family BFT block identifier that Besu's QBFT docs require in the genesis.
QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
_VANITY = bytes(32)

RLPItem: TypeAlias = bytes | list["RLPItem"]


def rlp_encode(item: RLPItem) -> bytes:
    """Recursive Length Prefix encoding of byte strings and (nested) lists of them."""
    if isinstance(item, bytes):
        # A single byte below 0x80 is its own encoding; anything else gets a length prefix.
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_prefix(len(item), 0x80) + item
    payload = b"".join(rlp_encode(child) for child in item)
    return _rlp_prefix(len(payload), 0xC0) + payload


def _rlp_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(length_bytes)]) + length_bytes


def qbft_genesis_extra_data(validators: list[bytes]) -> bytes:
    """Besu's QBFT genesis ``extraData``: RLP([vanity, validators, vote, round, seals]).

    Per Besu's "Configure QBFT consensus" page: 32 bytes of vanity, the validator addresses,
    no vote (an empty list), round 0 (RLP's integer 0 is the empty string) and no seals.
    """
    for address in validators:
        if len(address) != 20:
            raise ValueError(f"a validator address is 20 bytes, got {len(address)}")
    return rlp_encode([_VANITY, list(validators), [], b"", []])


def keccak256(data: bytes) -> bytes:
    # Ethereum's Keccak-256 (original padding), which hashlib.sha3_256 (FIPS 202) is not.
    return keccak.new(digest_bits=256, data=data).digest()


def address_from_public_key(public_key: bytes) -> bytes:
    """Ethereum address: the last 20 bytes of keccak256 of the 64-byte public key (no 0x04)."""
    if len(public_key) != 64:
        raise ValueError("expected a 64-byte uncompressed public key without the 0x04 prefix")
    return keccak256(public_key)[-20:]


@dataclass(frozen=True)
class _Account:
    private_key: bytes
    public_key: bytes  # 64 bytes, x || y
    address: bytes

    @classmethod
    def generate(cls) -> _Account:
        key = coincurve.PrivateKey()
        public_key = key.public_key.format(compressed=False)[1:]
        return cls(key.secret, public_key, address_from_public_key(public_key))


@dataclass(frozen=True)
class _Validator:
    country: str
    node: _Account
    authority: _Account
    ip: str
    p2p_port: int
    rpc_port: int

    @property
    def slug(self) -> str:
        return self.country.lower()

    @property
    def service(self) -> str:
        return f"besu-{self.slug}"

    @property
    def enode(self) -> str:
        return f"enode://{self.node.public_key.hex()}@{self.ip}:{self.p2p_port}"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _checked_countries(countries: list[str]) -> list[str]:
    codes = [c.strip().upper() for c in countries]
    unknown = [c for c in codes if c not in iso3166.countries_by_alpha2]
    if unknown:
        raise ValueError(
            f"not ISO 3166-1 alpha-2 country codes: {', '.join(repr(c) for c in unknown)}"
        )
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"duplicate countries: {', '.join(duplicates)}")
    if len(codes) < MIN_VALIDATORS:
        raise ValueError(
            f"QBFT needs at least {MIN_VALIDATORS} validators (one per country) to tolerate "
            f"one faulty validator; got {len(codes)}: {', '.join(codes) or 'none'}"
        )
    if len(codes) > MAX_VALIDATORS:
        raise ValueError(f"at most {MAX_VALIDATORS} countries fit the network {SUBNET}")
    return codes


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"output directory {out} is not empty; choose a new or empty one")


def write_besu_network(
    countries: list[str],
    out: Path,
    chain_id: int = 1337,
    block_period_seconds: int = 2,
) -> dict[str, Any]:
    """Write a Besu QBFT network, one validator per country, into ``out``.

    Raises ``ValueError`` before writing anything when the input is bad: fewer than four
    countries, duplicates, codes that are not ISO 3166-1 alpha-2, a non-positive chain id or
    block period, or an ``out`` that exists and is not an empty directory. Returns a
    JSON-able summary of what was written.
    """
    codes = _checked_countries(countries)
    if chain_id <= 0:
        raise ValueError(f"chain id must be a positive integer, got {chain_id}")
    if block_period_seconds <= 0:
        raise ValueError(f"block period must be at least 1 second, got {block_period_seconds}")
    out = Path(out)
    _check_out(out)
    validators = _validators(codes)
    files = _write_atomically(out, validators, chain_id, block_period_seconds)
    return _summary(out, validators, files, chain_id, block_period_seconds)


def _validators(codes: list[str]) -> list[_Validator]:
    """One validator per country, with fresh node and authority keys."""
    return [
        _Validator(
            country=code,
            node=_Account.generate(),
            authority=_Account.generate(),
            ip=f"{_IP_PREFIX}{_FIRST_HOST + i}",
            p2p_port=P2P_BASE_PORT + i,
            rpc_port=RPC_BASE_PORT + i,
        )
        for i, code in enumerate(codes)
    ]


def _write_atomically(
    out: Path, validators: list[_Validator], chain_id: int, block_period_seconds: int
) -> list[str]:
    """Build everything in a sibling temporary directory and move it into place at the end,
    so a failure half-way (disk full, permissions) never leaves a half-written network."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = _write_all(staging, validators, chain_id, block_period_seconds)
        if out.is_dir():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files


def _summary(
    out: Path,
    validators: list[_Validator],
    files: list[str],
    chain_id: int,
    block_period_seconds: int,
) -> dict[str, Any]:
    return {
        "out": str(out),
        "besu_image": BESU_IMAGE,
        "chain_id": chain_id,
        "block_period_seconds": block_period_seconds,
        "request_timeout_seconds": REQUEST_TIMEOUT_FACTOR * block_period_seconds,
        "subnet": SUBNET,
        "validators": [
            {
                "country": v.country,
                "service": v.service,
                "address": _hex(v.node.address),
                "enode": v.enode,
                "ip": v.ip,
                "p2p_port": v.p2p_port,
                "rpc_port": v.rpc_port,
                "rpc_url": f"http://127.0.0.1:{v.rpc_port}",
                "authority_account": _hex(v.authority.address),
            }
            for v in validators
        ],
        "files": files,
    }


def _write_all(
    root: Path, validators: list[_Validator], chain_id: int, block_period_seconds: int
) -> list[str]:
    written: list[str] = []

    def text(relative: str, content: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(relative)

    def secret(relative: str, content: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 in one step: a write-then-chmod would leave the key readable
        # (per the umask) for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        written.append(relative)

    text("genesis.json", _genesis(validators, chain_id, block_period_seconds))
    permissions = _permissions(validators)
    for v in validators:
        node = f"nodes/{v.slug}"
        # Besu's own key files: 0x-prefixed hex, the public key without its 0x04 prefix.
        secret(f"{node}/key", _hex(v.node.private_key) + "\n")
        text(f"{node}/key.pub", _hex(v.node.public_key) + "\n")
        text(f"{node}/address", _hex(v.node.address) + "\n")
        text(f"{node}/config.toml", _node_config(v, validators))
        text(f"{node}/permissions_config.toml", permissions)
        # Kept outside nodes/: the Besu container never needs an authority's signing key.
        secret(f"authorities/{v.slug}.key", _hex(v.authority.private_key) + "\n")
        text(f"authorities/{v.slug}.address", _hex(v.authority.address) + "\n")
    text("docker-compose.yml", _compose(validators))
    text("README.md", _readme(validators, chain_id, block_period_seconds))
    return sorted(written)


def _genesis(validators: list[_Validator], chain_id: int, block_period_seconds: int) -> str:
    extra_data = qbft_genesis_extra_data([v.node.address for v in validators])
    genesis = {
        "config": {
            "chainId": chain_id,
            # Latest milestone Besu exercises on QBFT: solc >= 0.8.20 emits PUSH0 (Shanghai).
            "londonBlock": 0,
            "shanghaiTime": 0,
            "contractSizeLimit": CONTRACT_SIZE_LIMIT,
            "qbft": {
                "blockperiodseconds": block_period_seconds,
                "epochlength": EPOCH_LENGTH,
                "requesttimeoutseconds": REQUEST_TIMEOUT_FACTOR * block_period_seconds,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": _hex(extra_data),
        "gasLimit": hex(GAS_LIMIT),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "alloc": {
            v.authority.address.hex(): {
                "comment": f"{v.country} authority account",
                "balance": hex(AUTHORITY_BALANCE_WEI),
            }
            for v in validators
        },
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x" + "00" * 32,
    }
    return json.dumps(genesis, indent=2) + "\n"


def _toml_list(items: list[str]) -> str:
    # JSON string literals are valid TOML basic strings for this ASCII content. No trailing
    # comma: TOML allows one, but older parsers than Besu's may not.
    return "[" + ",".join(f"\n  {json.dumps(item)}" for item in items) + ("\n]" if items else "]")


def _permissions(validators: list[_Validator]) -> str:
    # Every node gets the same allowlists, as Besu's local permissioning docs recommend;
    # the node allowlist must also contain every bootnode or Besu refuses to start.
    return (
        "# Besu local permissioning: the only peers and transaction senders this node accepts.\n"
        f"nodes-allowlist={_toml_list([v.enode for v in validators])}\n"
        f"accounts-allowlist={_toml_list([_hex(v.authority.address) for v in validators])}\n"
    )


def _node_config(v: _Validator, validators: list[_Validator]) -> str:
    data = CONTAINER_DATA_PATH
    bootnodes = [other.enode for other in validators if other is not v]
    lines = [
        f"# Besu node configuration for {v.country} "
        f"({iso3166.countries_by_alpha2[v.country].name}), validator {_hex(v.node.address)}.",
        "# Paths are inside the container (see docker-compose.yml).",
        f"genesis-file={json.dumps(CONTAINER_GENESIS)}",
        f"data-path={json.dumps(data)}",
        f"node-private-key-file={json.dumps(data + '/key')}",
        "",
        "# P2P: the advertised host and port must match this node's enode in every allowlist.",
        f"p2p-host={json.dumps(v.ip)}",
        f"p2p-port={v.p2p_port}",
        f"bootnodes={_toml_list(bootnodes)}",
        "",
        "rpc-http-enabled=true",
        'rpc-http-host="0.0.0.0"',
        f"rpc-http-port={v.rpc_port}",
        'rpc-http-api=["ETH", "NET", "WEB3", "QBFT", "PERM", "TXPOOL"]',
        # Host header check: the host (published port) and containers on the compose network.
        f"host-allowlist={_toml_list(['localhost', '127.0.0.1', v.service])}",
        "",
        "permissions-nodes-config-file-enabled=true",
        f"permissions-nodes-config-file={json.dumps(data + '/permissions_config.toml')}",
        "permissions-accounts-config-file-enabled=true",
        f"permissions-accounts-config-file={json.dumps(data + '/permissions_config.toml')}",
    ]
    return "\n".join(lines) + "\n"


def _compose(validators: list[_Validator]) -> str:
    # Hand-written YAML (PyYAML is only a dev dependency); json.dumps quotes every string,
    # and a JSON string is a valid YAML double-quoted scalar.
    q = json.dumps
    lines = [
        "# Generated by `tdx network besu-config`: one Besu QBFT validator per country.",
        "name: tdx-besu",
        "services:",
    ]
    for v in validators:
        lines += [
            f"  {v.service}:",
            f"    image: {q(BESU_IMAGE)}",
            "    command:",
            f"      - {q('--config-file=' + CONTAINER_DATA_PATH + '/config.toml')}",
            # Besu's enterprise/private profile: full sync, min gas price 0, and so on.
            f"      - {q('--profile=ENTERPRISE')}",
            "    volumes:",
            f"      - {q(f'./nodes/{v.slug}:{CONTAINER_DATA_PATH}')}",
            f"      - {q(f'./genesis.json:{CONTAINER_GENESIS}:ro')}",
            "    ports:",
            # JSON-RPC only on the host's loopback; P2P stays on the compose network.
            f"      - {q(f'127.0.0.1:{v.rpc_port}:{v.rpc_port}')}",
            "    networks:",
            "      besu:",
            # Fixed addresses, because the enode URLs in the allowlists name them.
            f"        ipv4_address: {q(v.ip)}",
            "    restart: unless-stopped",
        ]
    lines += [
        "networks:",
        "  besu:",
        "    driver: bridge",
        "    ipam:",
        "      config:",
        f"        - subnet: {q(SUBNET)}",
    ]
    return "\n".join(lines) + "\n"


# The generated README's sections that do not depend on the network's parameters.
_README_REFERENCE = f"""## Files

- `genesis.json`: the QBFT genesis, shared by every node. `extraData` is the RLP list
  [32 zero bytes of vanity, the validator addresses, no vote, round 0, no seals] (Besu's
  QBFT format); `alloc` funds each country's authority account.
- This directory is created 0700 and every private key 0600: it holds secrets.
- `nodes/<cc>/key`: the node's secp256k1 private key (0600). It is both the node's P2P
  identity and its validator key. Keep it secret; the Besu image's entrypoint changes the
  directory's owner to its `besu` user (uid 1000).
- `nodes/<cc>/key.pub`, `nodes/<cc>/address`: the node's public key (the enode id) and
  validator address (last 20 bytes of keccak256 of the public key).
- `nodes/<cc>/config.toml`: Besu options for the node; paths are inside the container.
- `nodes/<cc>/permissions_config.toml`: `nodes-allowlist` (the enode URLs of all
  validators) and `accounts-allowlist` (the authority accounts). Only these peers may
  connect and only these accounts may submit transactions.
- `authorities/<cc>.key`, `authorities/<cc>.address`: a generated authority account per
  country (0600 key), funded in the genesis and allowlisted. In production each country
  uses its own ledger key instead: put its address in `alloc` and `accounts-allowlist`,
  and keep the private key with the country, never in this directory.
- `docker-compose.yml`: one Besu service per country on the bridge network `{SUBNET}`,
  with the fixed addresses that the enode URLs name; JSON-RPC is published on 127.0.0.1.

## Contracts

The genesis enables London and Shanghai at block 0, not Cancun or later: compile contracts
with `--evm-version shanghai` (or older). solc 0.8.25 and later default to a newer EVM.

## Production

Here all validators share one Docker host. In production each country runs its validator
on its own host: replace the 172.16.239.x addresses and ports in every `enode://` URL (in
`permissions_config.toml` and `bootnodes`) and in `p2p-host` with the real ones, and give
every node the same genesis and allowlists.

## What the tests' anvil chain does not prove

tdx's tests run contracts on anvil, a single-process development chain. It shows that the
contracts and the client code behave, but it has no consensus (one node seals every block,
instantly, and cannot disagree with itself) and no permissioning (any key may send a
transaction, any peer may connect). Byzantine fault tolerance across the countries' validators,
finality, round changes when a validator is down, and the node and account allowlists are
what this Besu network provides, and they are only exercised by running it.
"""


def _readme(validators: list[_Validator], chain_id: int, block_period_seconds: int) -> str:
    rows = "\n".join(
        f"| {v.country} | `{v.service}` | `{_hex(v.node.address)}` | {v.ip}:{v.p2p_port} "
        f"| http://127.0.0.1:{v.rpc_port} | `{_hex(v.authority.address)}` |"
        for v in validators
    )
    first = validators[0]
    return f"""# tdx Besu QBFT network

Generated by `tdx network besu-config`: {len(validators)} validators, one per country,
chain id {chain_id}, a block every {block_period_seconds} s, image `{BESU_IMAGE}`.
QBFT keeps making blocks while at most {(len(validators) - 1) // 3} validator(s) are down or
faulty (n >= 3f + 1).

| Country | Service | Validator address | P2P | JSON-RPC | Authority account |
| --- | --- | --- | --- | --- | --- |
{rows}

## Start

```sh
docker compose up -d
docker compose logs -f {first.service}
call='{{"jsonrpc":"2.0","id":1,"method":"qbft_getValidatorsByBlockNumber","params":["latest"]}}'
curl -s -X POST -H 'Content-Type: application/json' --data "$call" http://127.0.0.1:{first.rpc_port}
```

The last call should list the {len(validators)} validator addresses above, and
`eth_blockNumber` should grow every {block_period_seconds} s. `docker compose down` stops
the network; the chain stays in `nodes/<cc>/` (delete `nodes/<cc>/database` to start over).

{_README_REFERENCE}"""
