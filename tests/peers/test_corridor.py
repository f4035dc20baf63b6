"""Issue 12's corridor on four real nodes (CN, SG, RU, KZ) on loopback: pushes verified on
arrival, real-time verification queries and their signed answers, a stopped issuing node,
forged answers, crashes during a push, national signatures across borders, and refused
peer requests. Every wait is bounded; nothing sleeps for ordering."""

import base64
import dataclasses
import datetime
import json
import os
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.http.serving import serving
from chaincode.documents.registry import DocumentKind, validate_document
from identity import jws, keys
from identity.certificates import Purpose, create_root, issue_organisation_certificate
from identity.keys import KeyType
from identity.node_certificates import issue_node_certificate, judge_node
from ledger.tlog import checkpoint, merkle
from network import launcher, signing
from network.home import Home
from network.node import Node
from network.peers import answers
from network.peers.audit_log import QueryLog
from network.peers.client import PeerClient
from network.peers.http_signatures import sign_request
from network.witness import witnesses_of
from tests.peers.conftest import check, fresh


def _now():
    return datetime.datetime.now(datetime.UTC)


def _digest(kind, document):
    return validate_document(DocumentKind(kind), json.dumps(document).encode()).digest


# --- 1. a phyto pushed to the importing country, verified there on arrival ----------------


def test_a_cn_phyto_is_pushed_to_kz_and_verified_there_on_arrival(network):
    document = fresh("phyto_cn_kz_apples.json")
    receipt = network.issue("CN", "cn-gacc", "phyto", document)
    digest = receipt["documentId"]

    def arrived():
        items = [a for a in network.inbox("KZ", "kz-customs") if a["key"] == digest]
        return items if items and items[0]["verdict"] else None

    (arrival,) = network.wait_for("the phyto in KZ's inbox, verified", arrived)
    assert arrival["from"] == "CN"
    assert arrival["kind"] == "document"
    assert arrival["verdict"] == "VALID", arrival["report"]
    issuer_node = check(arrival["report"], "issuer-node")
    assert issuer_node["status"] == "pass"
    assert "the CN node answers issued" in issuer_node["reason"]
    assert "of the CN node" in check(arrival["report"], "inclusion")["reason"]
    # The inbox is the receiving node's own organisations': anyone else is refused, and
    # the sending node does not list it.
    with network.client("KZ") as c:
        assert c.get("/v1/inbox").status_code == 401
    with network.client("CN") as c:
        other = c.get("/v1/inbox", headers=network.token("CN", "cn-gacc"))
        assert all(a["key"] != digest for a in other.json())


# --- 2. real-time verification by the issuing node ------------------------------------------


def _peer_client(network, country):
    home = network.home(country)
    return PeerClient(home.node_key(), home.node_certificate(), _now)


def _judge(network, country):
    home = network.home(country)
    trust, crls = home.trust_list(), home.revocation_lists()
    return lambda cert: (lambda j: (j.country if j.ok else None, j.reason))(
        judge_node(cert, trust, crls, _now())
    )


def test_ru_customs_verifies_a_cn_co_by_asking_the_cn_node_and_the_proof_checks(network):
    receipt = network.issue("CN", "cn-gacc", "co", fresh("co_cn_sg.json"))
    digest = receipt["documentId"]
    envelope = network.signed("CN", "cn-gacc", digest)

    without = network.verify("RU", envelope, ask=False)
    assert without["verdict"] == "UNKNOWN"
    assert not without["valid"]
    assert check(without, "anchored")["status"] == "not_checked"

    report = network.verify("RU", envelope)
    assert report["verdict"] == "VALID", report
    assert report["valid"]
    assert check(report, "issuer-node")["status"] == "pass"
    assert check(report, "anchored")["reason"].startswith("issued by cn-gacc")

    # The answer itself, asked for as the RU node would, checks part by part, and its
    # inclusion proof holds against the CN node's checkpoint on its own.
    client = _peer_client(network, "RU")
    try:
        nonce, response = client.post(
            network.urls["CN"], "/v1/peer/verification-queries", {"digest": digest}
        )
    finally:
        client.close()
    assert response.status_code == 200
    cn = network.home("CN")
    descriptor = cn.network().descriptor("CN")
    question = answers.Question(digest, None, None, nonce)
    checked = answers.check_answer(
        response.json()["answer"], question, descriptor, _judge(network, "RU"), None
    )
    assert checked.ok, checked.checks
    assert checked.status == "issued"
    inclusion = checked.payload["inclusion"]
    cp = checkpoint.open_note(checked.payload["checkpoint"], cn.setting("checkpointKey"))
    leaf = base64.b64decode(inclusion["leaf"])
    path = [bytes.fromhex(h) for h in inclusion["path"]]
    assert merkle.verify_inclusion(
        merkle.leaf_hash(leaf), inclusion["index"], cp.size, path, cp.root
    )
    assert json.loads(leaf)["signed"]["tx"]["doc"] == digest

    # Both sides logged the query.
    asked = QueryLog(network.home("RU").path / "queries.db").entries()
    answered = QueryLog(cn.path / "queries.db").entries()
    assert any(
        e.direction == "asked" and e.digest == digest and e.outcome == "believed" for e in asked
    )
    assert any(
        e.direction == "answered" and e.digest == digest and e.peer == "RU" and e.status == "issued"
        for e in answered
    )


def test_a_revoked_document_is_invalid_abroad(network):
    receipt = network.issue("CN", "cn-gacc", "co", fresh("co_cn_sg.json"))
    digest = receipt["documentId"]
    envelope = network.signed("CN", "cn-gacc", digest)
    with network.client("CN") as c:
        r = c.post(
            f"/v1/documents/{digest}/revocation",
            json={"reason": "issued in error"},
            headers=network.token("CN", "cn-gacc"),
        )
        assert r.status_code == 201, r.text
    report = network.verify("KZ", envelope)
    assert report["verdict"] == "INVALID"
    assert check(report, "status") == {"name": "status", "status": "fail", "reason": "REVOKED"}
    assert check(report, "issuer-node")["reason"].startswith("the CN node answers revoked")


# --- 3. the issuing node is down ------------------------------------------------------------


def test_with_the_cn_node_stopped_the_answer_is_not_checked_never_valid(network):
    receipt = network.issue("CN", "cn-gacc", "co", fresh("co_cn_sg.json"))
    envelope = network.signed("CN", "cn-gacc", receipt["documentId"])
    launcher.stop_one(network.path, "CN")
    try:
        report = network.verify("RU", envelope)
    finally:
        launcher.start_again(network.path, "CN")
    assert report["verdict"] == "UNKNOWN"
    assert report["valid"] is False
    issuer_node = check(report, "issuer-node")
    assert issuer_node["status"] == "not_checked"
    assert "the CN node at http://127.0.0.1:" in issuer_node["reason"]
    assert "did not answer" in issuer_node["reason"]
    assert check(report, "anchored")["status"] == "not_checked"
    # Back up, it answers again.
    assert network.verify("RU", envelope)["verdict"] == "VALID"


# --- 4. forged answers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def forger(network):
    """A server posing as the CN node: it passes the question on to the real CN node (with
    the asker's nonce), then changes the answer as ``forger.mode`` says."""
    cn = network.home("CN")
    ru = network.home("RU")
    state = {"mode": "honest"}
    ru_chain = [ru.node_certificate(), ru.root("RU")]
    cn_chain = [cn.node_certificate(), cn.root("CN")]
    client = PeerClient(ru.node_key(), ru.node_certificate(), _now)
    app = FastAPI()

    @app.post("/v1/peer/verification-queries")
    async def forged(request: Request):
        body = json.loads(await request.body())
        nonce = request.headers["signature-input"].split('nonce="')[1].split('"')[0]
        _, genuine = client.post(network.urls["CN"], "/v1/peer/verification-queries", body, nonce)
        token = genuine.json()["answer"]
        payload = json.loads(jws.verify(token, {"EdDSA"}, answers.JWS_TYPE).payload)
        mode = state["mode"]
        if mode == "wrong-node":
            token = answers.sign_answer(payload, ru.node_key(), ru_chain)
        elif mode == "bad-proof":
            path = payload["inclusion"]["path"] or ["00" * 32]
            path[0] = ("ff" if path[0][:2] != "ff" else "00") + path[0][2:]
            payload["inclusion"]["path"] = path
            token = answers.sign_answer(payload, cn.node_key(), cn_chain)
        elif mode == "fork":
            # Another history: the genuine entry at its index among other leaves, in a larger
            # tree, under a checkpoint signed with the CN node's own checkpoint key.
            index = payload["inclusion"]["index"]
            leaf = base64.b64decode(payload["inclusion"]["leaf"])
            size = int(payload["checkpoint"].split("\n")[1]) + 2
            store = merkle.MemoryNodeStore()
            for i in range(size):
                store.append(merkle.leaf_hash(leaf if i == index else f"other {i}".encode()))
            origin = cn.setting("origin")
            note = checkpoint.sign(
                checkpoint.Checkpoint(origin, size, merkle.root(store, size)),
                origin,
                cn.checkpoint_key(),
            )
            payload["checkpoint"] = note
            payload["inclusion"]["path"] = [
                p.hex() for p in merkle.inclusion_proof(store, index, size)
            ]
            payload["consistency"] = {"fromSize": body["knownSize"], "proof": []}
            token = answers.sign_answer(payload, cn.node_key(), cn_chain)
        return JSONResponse({"answer": token})

    with serving(app) as url:
        yield state, url
    client.close()


@pytest.mark.parametrize(
    ("mode", "failed", "text"),
    [
        ("wrong-node", "certificate", "not the CN node"),
        ("bad-proof", "inclusion", "is not proven in the checkpoint"),
        ("fork", "consistency", "two histories"),
    ],
)
def test_a_forged_answer_is_a_failed_check_never_not_found(network, forger, mode, failed, text):
    state, url = forger
    receipt = network.issue("CN", "cn-gacc", "co", fresh("co_cn_sg.json"))
    envelope = json.dumps(network.signed("CN", "cn-gacc", receipt["documentId"])).encode()
    with Node(network.home("RU")) as ru:
        real = ru.peers.descriptor("CN")
        # First an honest answer, so that RU holds a checkpoint of the CN node's log.
        assert ru.verify(envelope, ask_issuer=True).verdict.value == "VALID"
        held_before = ru.peers.held.note("CN")
        ru.peers._descriptors["CN"] = dataclasses.replace(real, base_url=url)
        state["mode"] = mode
        try:
            report = ru.verify(envelope, ask_issuer=True)
        finally:
            state["mode"] = "honest"
        issuer_node = report.check(report.checks[-1].name)
        assert issuer_node.name.value == "issuer-node"
        assert issuer_node.status.value == "fail", issuer_node.reason
        assert f"fails its {failed} check" in issuer_node.reason
        assert text in issuer_node.reason
        assert report.verdict.value == "INVALID"
        assert "not on" not in issuer_node.reason
        assert "not found" not in issuer_node.reason
        assert ru.peers.held.note("CN") == held_before  # nothing forged is held
        last = ru.peers.audit.entries(1)[0]
        assert last.outcome == "rejected"
        assert last.direction == "asked"


# --- 5. a node killed during a push ---------------------------------------------------------


def _outbox_depth(network, country):
    with network.client(country) as c:
        return c.get("/v1/network/status").json()["outboxDepth"]


def _wait_dead(network, country):
    run = launcher.read_run(network.path)
    pid = next(p["pid"] for p in run["processes"] if p["name"] == country)
    network.wait_for(f"the {country} node to die", lambda: not launcher._alive(pid))


@pytest.mark.parametrize(
    ("victim", "failpoint"),
    [("KZ", "inbox-after-store"), ("CN", "outbox-after-ack")],
)
def test_a_node_killed_during_a_push_delivers_exactly_once_after_restart(
    network, victim, failpoint
):
    network.restart(victim, {"TDX_FAILPOINT": failpoint})
    document = fresh("phyto_cn_kz_apples.json")
    digest = _digest("phyto", document)
    network.issue("CN", "cn-gacc", "phyto", document)
    _wait_dead(network, victim)  # it died at the failpoint, mid-delivery
    launcher.start_again(network.path, victim)

    def arrived():
        return [a for a in network.inbox("KZ", "kz-customs") if a["key"] == digest]

    def delivered():
        # Acknowledged to CN first, then the inbox read: a read the other way round could
        # see the copy kept before the crash and miss the redelivery that followed it.
        acknowledged = _outbox_depth(network, "CN") == 0
        items = arrived()
        return items if acknowledged and items and items[0]["verdict"] else None

    items = network.wait_for("the delivery after the restart", delivered)
    assert len(items) == 1  # exactly once
    assert items[0]["deliveries"] >= 2  # it was delivered again, and kept once
    assert items[0]["verdict"] == "VALID"


# --- 7. national signatures across borders --------------------------------------------------


def test_sm2_and_gost_documents_are_verified_by_every_other_node(network):
    co = network.issue("CN", "cn-ccpit", "co", fresh("co_cn_sg.json"))
    co_env = network.signed("CN", "cn-ccpit", co["documentId"])
    phyto = network.issue("RU", "ru-rosselkhoznadzor", "phyto", fresh("phyto_ru_cn_wheat.json"))
    phyto_env = network.signed("RU", "ru-rosselkhoznadzor", phyto["documentId"])
    for country, envelope, alg in (
        *((c, co_env, "SM2SM3") for c in ("SG", "RU", "KZ")),
        *((c, phyto_env, "GOST3410-2012-256") for c in ("CN", "SG", "KZ")),
    ):
        report = network.verify(country, envelope)
        assert report["verdict"] == "VALID", (country, report)
        assert check(report, "signature")["reason"].startswith(alg)


def test_a_signature_its_country_does_not_allow_is_refused_everywhere(network):
    kz = network.home("KZ")
    root, root_key = kz.root("KZ"), keys.load(kz.path / "roots" / "KZ.key", kz.passphrase())
    org = kz.credentials("kz-customs").organisation
    gost = keys.generate_signing_key(KeyType.GOST_2012_256)
    cert = issue_organisation_certificate(
        root, root_key, org, gost.public_key(), Purpose.DOCUMENT, _now()
    )
    doc = validate_document(
        DocumentKind.PHYTO, json.dumps(fresh("phyto_cn_kz_apples.json")).encode()
    )
    envelope = signing.DocumentSigner(gost, (cert, root)).sign(doc, _now()).to_json()
    for country in ("CN", "SG", "RU"):
        report = network.verify(country, envelope)
        assert report["verdict"] == "INVALID"
        chain = check(report, "chain")
        assert chain["status"] == "fail"
        assert "GOST3410-2012-256 is not allowed for KZ" in chain["reason"]


# --- 8. refused peer requests ---------------------------------------------------------------


def _signed_post(url, body, headers):
    return httpx.post(
        url + "/v1/peer/verification-queries", content=body, headers=headers, timeout=30
    )


def test_replayed_skewed_unknown_or_altered_peer_requests_get_401_naming_the_check(network):
    ru = network.home("RU")
    key, cert = ru.node_key(), ru.node_certificate()
    url = network.urls["CN"]
    body = json.dumps({"digest": "sha256:" + "ab" * 32}).encode()
    target = url + "/v1/peer/verification-queries"

    headers = sign_request("POST", target, body, key, cert, _now())
    assert _signed_post(url, body, headers).status_code == 200
    replay = _signed_post(url, body, headers)

    skewed = _signed_post(
        url,
        body,
        sign_request("POST", target, body, key, cert, _now() - datetime.timedelta(minutes=10)),
    )

    stranger_root_key = keys.generate(KeyType.P256)
    stranger_root = create_root("CN", "China Trade Document Root CA", stranger_root_key, _now())
    stranger_key = ed25519.Ed25519PrivateKey.generate()
    stranger = issue_node_certificate(
        stranger_root, stranger_root_key, stranger_key.public_key(), _now()
    )
    unknown = _signed_post(
        url, body, sign_request("POST", target, body, stranger_key, stranger, _now())
    )

    altered = _signed_post(
        url,
        body.replace(b"ab", b"cd"),
        sign_request("POST", target, body, key, cert, _now()),
    )
    # Signed for another path (a delivery), presented as a query: the signature fails.
    elsewhere = _signed_post(
        url, body, sign_request("POST", url + "/v1/peer/deliveries", body, key, cert, _now())
    )
    for response, name in (
        (replay, "nonce"),
        (elsewhere, "signature"),
        (skewed, "clock-skew"),
        (unknown, "certificate"),
        (altered, "content-digest"),
    ):
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["check"] == name, problem
        assert problem["detail"].startswith(name)


# --- the network's own commands -------------------------------------------------------------


def test_status_shows_each_node_its_checkpoint_outbox_and_witnesses(network):
    rows = launcher.status(network.path)
    assert [r["country"] for r in rows] == ["CN", "SG", "RU", "KZ"]
    for r in rows:
        assert r["running"]
        assert r["health"] == "ok"
        assert isinstance(r["checkpointSize"], int)
        assert isinstance(r["outboxDepth"], int)
        assert isinstance(r["witnesses"], list)  # those that cosigned its latest checkpoint
    # `up` made the nodes it started witnesses of each other before they started.
    for r in rows:
        registered = {w.name for w in witnesses_of(Home(network.path / "homes" / r["country"]))}
        assert registered == {"CN", "SG", "RU", "KZ"} - {r["country"]}


def _tdx(*args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("TDX_HOME", "TDX_NETWORK")},
    )
    if check:
        assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_the_command_line_asks_the_issuer_and_both_sides_log_it(network, tmp_path):
    receipt = network.issue("CN", "cn-gacc", "co", fresh("co_cn_sg.json"))
    digest = receipt["documentId"]
    path = tmp_path / "co.signed.json"
    path.write_text(json.dumps(network.signed("CN", "cn-gacc", digest)))
    kz = str(network.path / "homes" / "KZ")

    unknown = _tdx("verify", str(path), "--home", kz, "--json", check=False)
    assert unknown.returncode == 3  # UNKNOWN: not on KZ's ledger, and not asked
    assert json.loads(unknown.stdout)["verdict"] == "UNKNOWN"

    asked = _tdx("verify", str(path), "--home", kz, "--ask-issuer", "--json")
    report = json.loads(asked.stdout)
    assert report["verdict"] == "VALID"
    assert check(report, "issuer-node")["status"] == "pass"

    answered = json.loads(
        _tdx("audit", "queries", "--home", str(network.path / "homes" / "CN"), "--json").stdout
    )
    # KZ's query, beside SG's own (the CO was pushed to SG, which asked on arrival).
    mine = {(e["direction"], e["peer"], e["status"]) for e in answered if e["digest"] == digest}
    assert ("answered", "KZ", "issued") in mine
    logged = json.loads(_tdx("audit", "queries", "--home", kz, "--json", "--limit", "5").stdout)
    assert any(
        e["digest"] == digest and e["direction"] == "asked" and e["outcome"] == "believed"
        for e in logged
    )

    status = json.loads(_tdx("network", "status", "--dir", str(network.path), "--json").stdout)
    assert {r["country"] for r in status} == set(network.urls)
