"""The generated Besu QBFT network: Besu cannot run here, so these check that the files are
well formed and agree with each other (keys, addresses, enodes, ports, services)."""

import json
import stat
import tomllib

import coincurve
import pytest
import yaml
from Crypto.Hash import keccak

from network.evm.besu import (
    BESU_IMAGE,
    address_from_public_key,
    qbft_genesis_extra_data,
    write_besu_network,
)

COUNTRIES = ["CN", "SG", "RU", "KZ"]


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def rlp_decode(data: bytes):
    """A minimal RLP decoder, written apart from the encoder under test."""

    def item(pos: int):
        first = data[pos]
        if first < 0x80:
            return data[pos : pos + 1], pos + 1
        if first < 0xB8:
            end = pos + 1 + first - 0x80
            return data[pos + 1 : end], end
        if first < 0xC0:
            n = first - 0xB7
            length = int.from_bytes(data[pos + 1 : pos + 1 + n], "big")
            start = pos + 1 + n
            return data[start : start + length], start + length
        if first < 0xF8:
            start, end = pos + 1, pos + 1 + first - 0xC0
        else:
            n = first - 0xF7
            length = int.from_bytes(data[pos + 1 : pos + 1 + n], "big")
            start = pos + 1 + n
            end = start + length
        children, cursor = [], start
        while cursor < end:
            child, cursor = item(cursor)
            children.append(child)
        assert cursor == end, "list payload overruns its length"
        return children, end

    decoded, consumed = item(0)
    assert consumed == len(data), "trailing bytes after the RLP item"
    return decoded


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    out = tmp_path_factory.mktemp("besu") / "net"
    summary = write_besu_network(COUNTRIES, out, chain_id=2026, block_period_seconds=3)
    return out, summary


def node_dirs(out):
    return {cc: out / "nodes" / cc.lower() for cc in COUNTRIES}


def node_public_key(node_dir) -> bytes:
    secret = bytes.fromhex(node_dir.joinpath("key").read_text().strip().removeprefix("0x"))
    return coincurve.PrivateKey(secret).public_key.format(compressed=False)[1:]


def test_extra_data_matches_besu_docs_example():
    # The block-header-validator genesis on Besu's "Configure QBFT consensus" page.
    validators = [
        "64a702e6263b7297a96638cac6ae65e6541f4169",
        "3923390ad55e90c237593b3b0e401f3b08a03185",
        "aefdb9a738c9f433e5b6b212a6d62f6370c2f692",
        "c7eeb9a4e00ce683cf93039b212648e01c6c6b78",
    ]
    expected = "f87aa0" + "00" * 32 + "f854" + "".join("94" + a for a in validators) + "c080c0"
    assert qbft_genesis_extra_data([bytes.fromhex(a) for a in validators]).hex() == expected


def test_address_derivation_matches_a_known_key():
    # A private key and its account from Besu's QBFT tutorial genesis.
    secret = bytes.fromhex("8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63")
    public = coincurve.PrivateKey(secret).public_key.format(compressed=False)[1:]
    assert address_from_public_key(public).hex() == "fe3b557e8fb62b89f4916b721be55ceb828dbd73"


def test_genesis_is_qbft_with_the_requested_chain(network):
    out, summary = network
    genesis = json.loads((out / "genesis.json").read_text())
    config = genesis["config"]
    assert config["chainId"] == 2026 == summary["chain_id"]
    assert config["qbft"]["blockperiodseconds"] == 3
    assert config["qbft"]["requesttimeoutseconds"] > config["qbft"]["blockperiodseconds"]
    assert config["qbft"]["epochlength"] > 0
    assert "ibft2" not in config
    assert "clique" not in config
    assert genesis["difficulty"] == "0x1"
    assert genesis["mixHash"] == (
        "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
    )
    assert int(genesis["gasLimit"], 16) >= 10_000_000
    assert config["contractSizeLimit"] >= 24_576


def test_extra_data_decodes_to_exactly_the_validators(network):
    out, summary = network
    genesis = json.loads((out / "genesis.json").read_text())
    vanity, validators, vote, round_, seals = rlp_decode(
        bytes.fromhex(genesis["extraData"].removeprefix("0x"))
    )
    assert vanity == bytes(32)
    assert vote == []
    assert round_ == b""  # RLP integer 0
    assert seals == []
    assert len(validators) == 4
    expected = [bytes.fromhex(v["address"].removeprefix("0x")) for v in summary["validators"]]
    assert validators == expected
    # Each validator address derives from that node's own key.
    for cc, node in node_dirs(out).items():
        address = keccak256(node_public_key(node))[-20:]
        assert address in validators, cc
        assert node.joinpath("address").read_text().strip() == "0x" + address.hex()
        assert node.joinpath("key.pub").read_text().strip() == "0x" + node_public_key(node).hex()
    assert len(set(validators)) == 4


def test_alloc_funds_each_authority_account_and_nothing_else(network):
    out, summary = network
    genesis = json.loads((out / "genesis.json").read_text())
    authorities = {v["authority_account"].removeprefix("0x") for v in summary["validators"]}
    assert set(genesis["alloc"]) == authorities
    assert all(int(a["balance"], 16) > 0 for a in genesis["alloc"].values())
    for cc in COUNTRIES:
        secret = (out / "authorities" / f"{cc.lower()}.key").read_text().strip()
        public = coincurve.PrivateKey(bytes.fromhex(secret[2:])).public_key
        address = keccak256(public.format(compressed=False)[1:])[-20:].hex()
        assert address in authorities
        assert (out / "authorities" / f"{cc.lower()}.address").read_text().strip() == "0x" + address


def test_every_allowlist_holds_all_enodes_matching_keys_and_ports(network):
    out, summary = network
    configs = {
        cc: tomllib.loads((node / "config.toml").read_text()) for cc, node in node_dirs(out).items()
    }
    expected_enodes = {
        f"enode://{node_public_key(node).hex()}@{configs[cc]['p2p-host']}:{configs[cc]['p2p-port']}"
        for cc, node in node_dirs(out).items()
    }
    assert len(expected_enodes) == 4
    authorities = {v["authority_account"] for v in summary["validators"]}
    for cc, node in node_dirs(out).items():
        perms = tomllib.loads((node / "permissions_config.toml").read_text())
        assert set(perms["nodes-allowlist"]) == expected_enodes, cc
        assert set(perms["accounts-allowlist"]) == authorities, cc
        # Bootnodes are the other validators, all of them on the allowlist (Besu requires it).
        assert set(configs[cc]["bootnodes"]) < expected_enodes
        assert len(configs[cc]["bootnodes"]) == 3
    assert expected_enodes == {v["enode"] for v in summary["validators"]}


def test_node_configs_enable_qbft_rpc_and_permissioning_on_distinct_ports(network):
    out, _ = network
    configs = [tomllib.loads((n / "config.toml").read_text()) for n in node_dirs(out).values()]
    for config in configs:
        assert config["rpc-http-enabled"] is True
        assert "QBFT" in config["rpc-http-api"]
        assert config["host-allowlist"]
        assert config["permissions-nodes-config-file-enabled"] is True
        assert config["permissions-accounts-config-file-enabled"] is True
        assert config["permissions-nodes-config-file"].endswith("/permissions_config.toml")
        assert config["genesis-file"]
        assert config["data-path"]
        assert not config["data-path"].startswith("/opt/besu")  # Besu's docs forbid it
    for key in ("p2p-port", "rpc-http-port", "p2p-host"):
        assert len({c[key] for c in configs}) == 4, key


def test_compose_runs_one_pinned_besu_per_country_consistent_with_the_enodes(network):
    out, _ = network
    compose = yaml.safe_load((out / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {f"besu-{cc.lower()}" for cc in COUNTRIES}
    subnet = compose["networks"]["besu"]["ipam"]["config"][0]["subnet"]
    assert subnet.endswith("/24")
    for cc, node in node_dirs(out).items():
        service = services[f"besu-{cc.lower()}"]
        assert service["image"] == BESU_IMAGE
        assert ":" in BESU_IMAGE
        assert not BESU_IMAGE.endswith(":latest")
        config = tomllib.loads((node / "config.toml").read_text())
        volumes = {v.split(":")[0]: v.split(":")[1] for v in service["volumes"]}
        assert volumes[f"./nodes/{cc.lower()}"] == config["data-path"]
        assert volumes["./genesis.json"] == config["genesis-file"]
        # The container's fixed address is the host named in its enode URL.
        assert service["networks"]["besu"]["ipv4_address"] == config["p2p-host"]
        assert config["p2p-host"].startswith(subnet.rsplit(".", 1)[0] + ".")
        config_file = next(a for a in service["command"] if a.startswith("--config-file="))
        assert config_file == f"--config-file={config['data-path']}/config.toml"
        assert service["ports"] == [
            f"127.0.0.1:{config['rpc-http-port']}:{config['rpc-http-port']}"
        ]


def test_keys_are_0600(network):
    out, _ = network
    keys = [n / "key" for n in node_dirs(out).values()]
    keys += [out / "authorities" / f"{cc.lower()}.key" for cc in COUNTRIES]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_summary_is_json_and_lists_the_written_files(network):
    out, summary = network
    assert json.loads(json.dumps(summary)) == summary
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert summary["files"] == on_disk
    assert [v["country"] for v in summary["validators"]] == COUNTRIES


def test_readme_says_how_to_start_and_what_anvil_does_not_prove(network):
    out, _ = network
    readme = (out / "README.md").read_text()
    assert "docker compose up" in readme
    assert "anvil" in readme
    assert "consensus" in readme
    assert "permissioning" in readme


def test_keys_differ_between_runs(tmp_path):
    a = write_besu_network(COUNTRIES, tmp_path / "a")
    b = write_besu_network(COUNTRIES, tmp_path / "b")
    assert {v["address"] for v in a["validators"]}.isdisjoint(v["address"] for v in b["validators"])


def test_an_existing_empty_directory_is_used(tmp_path):
    out = tmp_path / "net"
    out.mkdir()
    write_besu_network(["cn", "sg", "ru", "kz"], out)
    assert (out / "genesis.json").is_file()
    assert (out / "nodes" / "cn" / "key").is_file()


@pytest.mark.parametrize(
    ("countries", "message"),
    [
        (["CN", "SG", "RU"], "at least 4 validators"),
        ([], "at least 4 validators"),
        (["CN", "SG", "RU", "CN"], "duplicate countries: CN"),
        (["CN", "SG", "RU", "cn"], "duplicate countries: CN"),
        (["CN", "SG", "RU", "XX"], "not ISO 3166-1 alpha-2 country codes: 'XX'"),
        (["CN", "SG", "RU", "CHN"], "not ISO 3166-1 alpha-2"),
        (["CN", "SG", "RU", ""], "not ISO 3166-1 alpha-2"),
    ],
)
def test_bad_countries_raise_and_write_nothing(tmp_path, countries, message):
    out = tmp_path / "net"
    with pytest.raises(ValueError, match=message):
        write_besu_network(countries, out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chain_id": 0}, "chain id must be a positive integer"),
        ({"block_period_seconds": 0}, "block period must be at least 1 second"),
    ],
)
def test_bad_parameters_raise_and_write_nothing(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_besu_network(COUNTRIES, tmp_path / "net", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_output_directory_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "net"
    out.mkdir()
    (out / "genesis.json").write_text("mine")
    with pytest.raises(ValueError, match="is not empty"):
        write_besu_network(COUNTRIES, out)
    assert [p.name for p in out.iterdir()] == ["genesis.json"]
    assert (out / "genesis.json").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "net"
    out.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        write_besu_network(COUNTRIES, out)
    assert out.read_text() == "x"


def test_more_countries_than_four_make_a_larger_network(tmp_path):
    summary = write_besu_network([*COUNTRIES, "DE", "FR", "IN"], tmp_path / "net")
    genesis = json.loads((tmp_path / "net" / "genesis.json").read_text())
    _, validators, *_ = rlp_decode(bytes.fromhex(genesis["extraData"][2:]))
    assert len(validators) == len(summary["validators"]) == 7
