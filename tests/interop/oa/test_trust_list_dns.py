"""DNS-TXT records vouched for by the signed trust list: the list's form and signature, the
operator's command that re-signs it (tdx oa trust-dns), and tdx oa verify / tdx verify
reading them where no --dns-txt is given, the report naming the source that answered."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
from pathlib import Path

import pytest
import rfc8785
from eth_account.signers.local import LocalAccount

from identity import jws, keys, trust_list
from identity.keys import KeyType
from identity.trust_list import TrustListError
from interop.oa import DocumentStore, record_text
from interop.oa.issuance import issue_batch
from network import trust_list_dns
from network.home import DEMO_PASSPHRASE, Home, init_country
from network.platforms import oa_settings
from tests.interop.oa.conftest import EXAMPLES
from tests.interop.oa.judge import judge
from tests.pki import make_root, make_trust_list

from .cli_runs import ok_json as _ok
from .cli_runs import tdx

DOMAIN = "trade.gov.example"
DNS = "OpenAttestationDnsTxtIdentityProof"
OTHER = "0x" + "ab" * 20


def _payload(token: str) -> dict:
    body = token.split(".")[1]
    decoded: dict = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


# --- the list's form ------------------------------------------------------------------------


def test_records_round_trip_under_the_operators_signature() -> None:
    operator = keys.generate(KeyType.P256)
    plain = make_trust_list(make_root("CN"), make_root("SG"))
    sg = plain.entries["SG"]
    records = trust_list.dns_txt_of({"Example.SG.": [record_text(OTHER, 1337)]})
    vouched = trust_list.build([plain.entries["CN"], dataclasses.replace(sg, dns_txt=records)], 2,
                               plain.issued_at)  # fmt: skip
    loaded = trust_list.load(trust_list.sign(vouched, operator), operator.public_key())
    assert loaded.entries["SG"].txt_records("example.sg") == (record_text(OTHER, 1337),)
    assert loaded.dns_txt("EXAMPLE.sg") == [("SG", (record_text(OTHER, 1337),))]
    assert loaded.dns_txt("other.example") == []
    # An entry without records writes no dnsTxt key: older lists keep their exact bytes.
    payload = _payload(trust_list.sign(plain, operator))
    assert all("dnsTxt" not in c for c in payload["countries"])
    assert trust_list.load(trust_list.sign(plain, operator), operator.public_key()) == plain


def test_a_forged_record_needs_the_operators_key() -> None:
    operator = keys.generate(KeyType.ED25519)
    base = make_trust_list(make_root("SG"))
    entry = dataclasses.replace(
        base.entries["SG"], dns_txt=trust_list.dns_txt_of({DOMAIN: [record_text(OTHER, 1)]})
    )
    token = trust_list.sign(trust_list.build([entry], 2, base.issued_at), operator)
    head, _, sig = token.split(".")
    payload = _payload(token)
    payload["countries"][0]["dnsTxt"][DOMAIN] = [record_text("0x" + "cd" * 20, 1)]
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(TrustListError, match="signature"):
        trust_list.load(f"{head}.{forged}.{sig}", operator.public_key())


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({DOMAIN: []}, "between 1 and 64 records"),
        ({DOMAIN: "openatts"}, "must be a list of records"),
        ({DOMAIN: ["a", "a"]}, "listed twice"),
        ({DOMAIN: [""]}, "1 to 255 characters"),
        ({"bad domain": ["a"]}, "is not a DNS domain name"),
        ({DOMAIN: ["a"], DOMAIN.upper(): ["b"]}, f"{DOMAIN} is listed twice"),
    ],
)
def test_malformed_records_are_refused_naming_the_rule(records: dict, message: str) -> None:
    with pytest.raises(TrustListError, match=message):
        trust_list.dns_txt_of(records)


def test_a_signed_payload_with_bad_records_is_refused() -> None:
    """The operator's key does not make a malformed entry acceptable."""
    operator = keys.generate(KeyType.P256)
    base = make_trust_list(make_root("SG"))
    payload = _payload(trust_list.sign(base, operator))
    for bad, message in (({}, "non-empty object"), ({"UPPER.example": ["a"]}, "lower case")):
        payload["countries"][0]["dnsTxt"] = bad
        token = _sign(payload, operator)
        with pytest.raises(TrustListError, match=message):
            trust_list.load(token, operator.public_key())


def _sign(payload: dict, operator: keys.PrivateKey) -> str:
    return jws.sign_with_key(rfc8785.dumps(payload), operator, trust_list.JWS_TYPE)


# --- the operator's command and the verifiers -------------------------------------------------


def _export(anvil: str, home: Home, tmp_path: Path) -> tuple[dict, Path, str]:
    h = ("--home", home.path)
    deployed = _ok("oa", "deploy-store", "--rpc", anvil, "--as", "cn-gacc",
                   "--dns-location", DOMAIN, *h)  # fmt: skip
    doc_id = _ok("issue", "co", EXAMPLES / "co_cn_sg.json", "--as", "cn-gacc", *h)["documentId"]
    out = tmp_path / "co.json"
    _ok("oa", "export", doc_id, "--out", out, *h)
    return deployed, out, doc_id


def _dns(report: dict) -> dict:
    found: dict = next(c for c in report["checks"] if c["name"] == DNS)
    return found


def test_the_trust_list_answers_for_the_domain(anvil: str, demo_home: Home, tmp_path: Path) -> None:
    h = ("--home", demo_home.path)
    deployed, exported, _ = _export(anvil, demo_home, tmp_path)
    before = demo_home.trust_list()

    vouched = _ok("oa", "trust-dns", "--country", "CN", "--own", *h)
    assert vouched == {"sequence": before.sequence + 1, "country": "CN",
                       "dnsTxt": {DOMAIN: [deployed["dnsTxt"]]}}  # fmt: skip
    after = demo_home.trust_list()  # verified with the operator key the home pins
    assert after.entries["CN"].txt_records(DOMAIN) == (deployed["dnsTxt"],)
    assert after.entries["SG"].dns_txt == ()

    checked = _ok("oa", "verify", exported, *h)  # the RPC URL from HOME/oa.json
    assert checked["valid"] is True
    dns = next(c for c in checked["checks"] if c["name"] == DNS)
    assert dns["status"] == "VALID"
    assert dns["data"]["identities"][0]["source"] == "trust list (CN)"
    assert "(trust list (CN))" in dns["reason"]

    # --dns-txt, when given, answers instead of the trust list.
    given = f"{DOMAIN}={deployed['dnsTxt']}"
    explicit = _ok("oa", "verify", exported, "--dns-txt", given, *h)
    source = _dns(explicit)["data"]["identities"][0]["source"]
    assert source == "records given (--dns-txt/--dns-file)"

    # tdx verify (the unified report) reads the same list.
    unified = _ok("verify", exported, *h)
    assert unified["verdict"] == "VALID"
    assert "(trust list (CN))" in _dns(unified)["reason"]


def test_a_trust_list_record_naming_another_contract_is_invalid(
    anvil: str, demo_home: Home, tmp_path: Path
) -> None:
    h = ("--home", demo_home.path)
    _, exported, _ = _export(anvil, demo_home, tmp_path)
    _ok("oa", "trust-dns", "--country", "SG", "--dns-txt", f"{DOMAIN}={record_text(OTHER, 1337)}",
        *h)  # fmt: skip
    # The node's own HOME/oa.json still names its store, but the trust list answers alone.
    assert oa_settings.load(demo_home).resolver()(DOMAIN)
    done = tdx("oa", "verify", exported, "--json", *h)
    assert done.exit_code == 1, done.output
    dns = _dns(json.loads(done.stdout))
    assert dns["status"] == "INVALID"
    assert dns["data"]["source"] == "trust list (SG)"
    assert "asked: trust list (SG), 1 record(s)" in dns["reason"]
    unified = tdx("verify", exported, "--json", *h)
    assert unified.exit_code == 1
    report = json.loads(unified.stdout)
    assert report["verdict"] == "INVALID"
    assert _dns(report)["status"] == "fail"
    assert "trust list (SG)" in _dns(report)["reason"]

    # The operator replaces the entry's records; the document is valid again.
    _ok("oa", "trust-dns", "--country", "SG", "--replace", *h)
    assert demo_home.trust_list().entries["SG"].dns_txt == ()
    assert tdx("oa", "verify", exported, *h).exit_code == 0


def test_the_command_refuses_bad_input_and_changes_nothing(demo_home: Home) -> None:
    h = ("--home", demo_home.path)
    token = (demo_home.path / "trust-list.jws").read_bytes()
    for args, message in (
        (("--country", "XX", "--dns-txt", f"{DOMAIN}=openatts"), "'XX' is not on the trust list"),
        (("--country", "CN", "--dns-txt", "no-equals-sign"), "is not DOMAIN=RECORD"),
        (("--country", "CN"), "nothing to vouch for"),
        (("--country", "CN", "--own"), "no TradeTrust settings"),
    ):
        done = tdx("oa", "trust-dns", *args, *h)
        assert done.exit_code == 1, (args, done.output)
        assert message in done.output, done.output
    assert (demo_home.path / "trust-list.jws").read_bytes() == token


def test_a_country_nodes_records_go_on_the_network_folders_list(tmp_path: Path) -> None:
    """Country homes share their network folder's list: one re-signing serves every node,
    and a country re-joining keeps what its entry vouched for."""
    now = datetime.datetime.now(datetime.UTC)
    cn = init_country(tmp_path / "CN", "CN", tmp_path / "net", "http://127.0.0.1:9", now)
    sg = init_country(tmp_path / "SG", "SG", tmp_path / "net", "http://127.0.0.1:10", now)
    record = record_text(OTHER, 1337)
    signed = trust_list_dns.vouch(sg, "SG", {DOMAIN: [record]}, now)
    assert cn.trust_list() == sg.trust_list() == signed
    assert cn.trust_list().dns_txt(DOMAIN) == [("SG", (record,))]

    network = sg.network()
    assert network is not None
    network.join(dataclasses.replace(signed.entries["SG"], dns_txt=()), DEMO_PASSPHRASE.encode(),
                 now)  # fmt: skip
    assert cn.trust_list().entries["SG"].txt_records(DOMAIN) == (record,)
    assert cn.trust_list().sequence == signed.sequence + 1


def test_a_document_of_another_tradetrust_issuer_is_identified_by_the_list(
    anvil: str, store: DocumentStore, accounts: list[LocalAccount], demo_home: Home,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Wrapped and issued by the official library, whoever issued it: the trust list
    vouches for its domain, and the home needs no TradeTrust settings of its own."""
    domain = "customs.sg.example"
    raw = {
        "name": "Issued elsewhere",
        "issuers": [{"name": "SG customs", "documentStore": store.address,
                     "identityProof": {"type": "DNS-TXT", "location": domain}}],
        "recipient": {"name": "Someone"},
    }  # fmt: skip
    (wrapped,) = judge({"op": "wrap", "documents": [raw], "batch": False})["wrapped"]
    issue_batch(store, accounts[0], [wrapped])
    document = tmp_path / "official.json"
    document.write_text(json.dumps(wrapped))
    h = ("--home", demo_home.path)

    unknown = tdx("oa", "verify", document, "--rpc", anvil, "--json", *h)
    assert unknown.exit_code == 1, unknown.output  # no source has records for the domain
    assert _dns(json.loads(unknown.stdout))["status"] == "INVALID"

    record = record_text(store.address, 1337)
    _ok("oa", "trust-dns", "--country", "SG", "--dns-txt", f"{domain}={record}", *h)
    checked = _ok("oa", "verify", document, "--rpc", anvil, *h)
    assert checked["valid"] is True
    assert _dns(checked)["data"]["identities"] == [
        {"location": domain, "value": store.address, "source": "trust list (SG)"}
    ]
