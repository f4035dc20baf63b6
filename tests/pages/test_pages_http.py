"""The pages over real HTTP: security headers, sessions and CSRF, verification by document
and by QR text, the read policy on the Document page, the desk's two-step actions, the
language control and escaping."""

import base64
import json
import re

import httpx
import pytest

from api.http.pages.lookup import qr_text
from api.http.pages.sessions import COOKIE as SESSION
from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from ledger.admission import batch_root
from ledger.tlog import proofs
from tests.pages.conftest import Pages

VERDICT = re.compile(r'data-verdict="(\w+)"')
NONCE = re.compile(r'<script[^>]*nonce="([^"]+)"')


def verdict(response: httpx.Response) -> str:
    found = VERDICT.findall(response.text)
    assert len(found) == 1, response.text[:1000]
    return found[0]


def check_statuses(response: httpx.Response) -> dict[str, str]:
    return dict(re.findall(r'data-check="([^"]+)" data-status="([^"]+)"', response.text))


# --- headers and safety ---------------------------------------------------------------


def test_every_page_has_a_strict_csp_with_a_fresh_nonce(pages):
    first, second = pages.get("/verify"), pages.get("/verify")
    for response in (first, second):
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
        # Every script on the page carries this response's nonce, and no other script.
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts
        assert all(f'nonce="{nonce}"' in s or 'type="application/json"' in s for s in scripts)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert re.match(r"app;dur=\d+\.\d+", response.headers["server-timing"])
    assert NONCE.findall(first.text) != NONCE.findall(second.text)


def test_a_field_with_html_is_shown_as_text(world, pages):
    pages.sign_in("cn-gacc")
    page = pages.get(f"/documents/{world.xss}")
    assert page.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert "<script>window" not in page.text
    # The same on the Verify page's report and the text box it echoes.
    report = pages.post("/verify", {"document": world.signed(world.xss).decode()})
    assert verdict(report) == "valid"
    assert "<img src=x" not in report.text


def test_json_rule_still_applies_to_the_api_but_not_to_forms(world, pages):
    api = httpx.post(
        f"{world.base}/v1/verify", content=b"x", headers={"content-type": "text/plain"}
    )
    assert api.status_code == 415
    assert pages.post("/verify", {"document": "{}"}).status_code == 200


# --- verifying ------------------------------------------------------------------------


def test_verify_a_presented_document_valid_and_tampered(world, pages):
    signed = world.signed(world.co)
    valid = pages.post("/verify", {"document": signed.decode()})
    assert verdict(valid) == "valid"
    assert set(check_statuses(valid).values()) == {"pass"}
    assert "General Administration of Customs" in valid.text  # the issuer's name
    envelope = json.loads(signed)
    envelope["document"]["exporter"]["name"] = "Someone Else Ltd."
    tampered = pages.post("/verify", {"document": json.dumps(envelope)})
    assert verdict(tampered) == "invalid"
    statuses = check_statuses(tampered)
    assert statuses["integrity"] == "fail"
    assert "changed after signing" in tampered.text


def test_verify_an_uploaded_file(world, pages):
    response = pages.http.post(
        "/verify",
        data={"csrf": pages.csrf()},
        files={"file": ("co.json", world.signed(world.co), "application/json")},
    )
    assert verdict(response) == "valid"


def test_verify_by_qr_text_typed_or_opened(world, pages):
    text = qr_text(world.base, world.co)
    typed = pages.get("/verify", params={"reference": text})
    assert verdict(typed) == "valid"
    opened = pages.get(f"/verify?digest={world.co}")
    assert verdict(opened) == "valid"
    bare = pages.get("/verify", params={"reference": world.co.removeprefix("sha256:")})
    assert verdict(bare) == "valid"
    elsewhere = pages.get(
        "/verify", params={"reference": qr_text("https://other.example", world.co)}
    )
    assert "other.example" in elsewhere.text


def test_unknown_digest_is_unknown_and_bad_text_says_what_is_expected(pages):
    missing = pages.get("/verify", params={"reference": "sha256:" + "ab" * 32})
    assert verdict(missing) == "unknown"
    bad = pages.get("/verify", params={"reference": "hello"})
    assert bad.status_code == 422
    assert "expected a verify URL" in bad.text


def test_a_digest_with_no_copy_here_shows_what_the_ledger_holds(world, pages):
    digests = [f"sha256:{i:064x}" for i in range(1, 5)]
    world.node.submit(
        "cn-gacc",
        Op.ANCHOR_BATCH,
        doc=batch_root(digests),
        digests=digests,
        kind=DocumentKind.CO,
        country="CN",
    )
    response = pages.get("/verify", params={"reference": digests[2]})
    assert verdict(response) == "unknown"
    statuses = check_statuses(response)
    assert statuses["anchored"] == "pass"
    assert statuses["inclusion"] == "pass"
    assert statuses["signature"] == "not_checked"


def test_the_anchoring_proof_downloads_and_checks_offline(world, pages):
    page = pages.post("/verify", {"document": world.signed(world.ebl).decode()})
    url = re.search(r'href="(/verify/proof\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    bundle = pages.get(url)
    assert bundle.status_code == 200
    assert "attachment" in bundle.headers["content-disposition"]
    proof = bundle.json()
    assert len(proof["entries"]) == 1  # the anchoring entry only, not the eBL's history
    latest = httpx.get(f"{world.base}/v1/checkpoints/latest").json()
    report = proofs.check(proof, latest["checkpoint"], latest["key"])
    assert report.valid, report.failures()
    # Standalone: it checks with nothing but itself (its own key and trust material).
    alone = proofs.check(proof)
    assert alone.valid, alone.failures()


# --- sessions and CSRF ----------------------------------------------------------------


def test_pages_that_need_an_organisation_send_you_to_sign_in(world, pages):
    for path in ("/desk", f"/documents/{world.co}", "/desk/containers?number=CXRU1523418"):
        response = pages.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")


def test_forms_need_their_csrf_token_and_this_origin(world, pages):
    pages.get("/verify")  # the anonymous CSRF cookie
    no_token = pages.http.post("/verify", data={"document": "{}"})
    assert no_token.status_code == 403
    wrong = pages.http.post("/verify", data={"document": "{}", "csrf": "x" * 43})
    assert wrong.status_code == 403
    cross = pages.http.post(
        "/verify",
        data={"document": "{}", "csrf": pages.csrf()},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert "another site" in cross.text


def test_session_cookie_attributes_and_sign_out_ends_it_on_the_server(world, pages):
    signed_in = pages.sign_in("sg-importer")
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith(SESSION))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie  # plain HTTP here; over TLS it is Secure
    token = pages.http.cookies[SESSION]
    assert pages.get("/desk").status_code == 200
    out = pages.post("/sign-out", {}, token=pages.csrf("/desk"))
    assert out.status_code == 303
    # A copy of the old cookie is worthless: the session is gone from the server.
    replay = httpx.get(f"{world.base}/desk", cookies={SESSION: token})
    assert replay.status_code == 303
    assert token not in (world.home.path / "sessions.db").read_bytes().decode("latin-1")


def test_sign_in_with_the_key_file_and_passphrase(world, pages):
    key = (world.home.path / "orgs" / "cn-cosco" / "document.key").read_bytes()
    wrong = pages.http.post(
        "/sign-in",
        data={"csrf": pages.csrf("/sign-in"), "passphrase": "not it", "next": "/desk"},
        files={"key": ("document.key", key)},
    )
    assert wrong.status_code == 403
    assert "wrong passphrase" in wrong.text
    right = pages.http.post(
        "/sign-in",
        data={"csrf": pages.csrf("/sign-in"), "passphrase": "tdx-demo-passphrase", "next": "/desk"},
        files={"key": ("document.key", key)},
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/desk"
    assert "COSCO SHIPPING Lines" in pages.get("/desk").text


def test_a_ledger_key_is_no_organisation_s_document_key(world, pages):
    key = (world.home.path / "orgs" / "cn-cosco" / "ledger.key").read_bytes()
    response = pages.http.post(
        "/sign-in",
        data={"csrf": pages.csrf("/sign-in"), "passphrase": "tdx-demo-passphrase"},
        files={"key": ("ledger.key", key)},
    )
    assert response.status_code == 403
    assert "belongs to no organisation" in response.text


# --- the Document page and the read policy --------------------------------------------


def test_document_page_follows_the_read_policy(world, pages):
    pages.sign_in("kz-auditor")  # may read the status, not the content
    page = pages.get(f"/documents/{world.ebl}")
    assert page.status_code == 200
    assert "The content is not shown to you" in page.text
    assert "Timeline on the ledger" in page.text
    assert 'id="proof-data"' in page.text
    other = Pages(world.base)
    try:
        other.sign_in("sg-dbs")  # a bank the CO does not concern
        refused = other.get(f"/documents/{world.co}")
        assert refused.status_code == 403
        assert "may not read" in refused.text
    finally:
        other.close()


def test_document_page_shows_fields_links_and_proofs(world, pages):
    pages.sign_in("cn-gacc")
    page = pages.get(f"/documents/{world.co}")
    assert "Certificate number" in page.text
    assert "S263100012600018" in page.text
    assert "Port of loading" in page.text
    data = json.loads(re.search(r'id="proof-data">(.*?)</script>', page.text, re.S).group(1))
    assert data["document"] == world.co
    assert data["entries"]
    leaf = json.loads(base64.b64decode(data["entries"][0]["leaf"]))
    assert leaf["signed"]["tx"]["doc"] == world.co


# --- the desk -------------------------------------------------------------------------


def test_desk_offers_only_what_the_holder_may_do(world, pages):
    pages.sign_in("sg-importer")
    desk = pages.get("/desk").text
    assert f"/desk/ebls/{world.ebl}/transfer" in desk
    assert f"/desk/ebls/{world.ebl}/surrender" in desk
    assert f"/desk/ebls/{world.ebl}/accept" not in desk
    # The carrier may not transfer it: no offer, and the form says so.
    carrier = Pages(world.base)
    try:
        carrier.sign_in("cn-cosco")
        listed = carrier.get("/desk").text
        assert f"/desk/ebls/{world.ebl}/transfer" not in listed
        # Listed among the eBLs it issued (the engine's issued_by, on its partial index).
        issued = listed.split('id="issued-heading"', 1)[1]
        assert f'href="/documents/{world.ebl}"' in issued
        assert carrier.get(f"/desk/ebls/{world.ebl}/transfer").status_code == 409
    finally:
        carrier.close()


def test_an_action_is_reviewed_before_it_commits_and_a_refusal_reads_as_the_rule(world, pages):
    pages.sign_in("sg-importer")
    before = world.node.ledger.size()
    path = f"/desk/ebls/{world.ebl}/transfer"
    review = pages.post(path, {"step": "review", "to": "sg-dbs"}, token=pages.csrf(path))
    assert review.status_code == 200
    assert "Check before you confirm" in review.text
    assert world.node.ledger.size() == before  # nothing committed yet
    token = pages.csrf(path)
    commit = pages.post(path, {"step": "commit", "to": "sg-dbs"}, token=token)
    assert commit.status_code == 303
    assert world.node.ledger.document(world.ebl).holder == "sg-dbs"
    again = pages.post(path, {"step": "commit", "to": "cn-boc"}, token=token)
    assert again.status_code == 409
    assert "not the current possessor" in again.text
    bad = pages.post(path, {"step": "review", "to": "nobody"}, token=token)
    assert bad.status_code == 422
    # Back to the importer for the other tests of this module.
    world.node.submit("sg-dbs", Op.TRANSFER, doc=world.ebl, to="sg-importer")


# --- language -------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "word"), [("zh", "核验"), ("ru", "Проверка"), ("en", "Verify")])
def test_language_choice_is_remembered(world, pages, code, word):
    chosen = pages.get(f"/language/{code}", params={"next": "/ledger"})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/ledger"
    page = pages.get("/verify")
    assert f'<html lang="{code}">' in page.text
    assert word in page.text
    assert page.headers["content-language"] == code


def test_language_redirect_stays_on_this_site(pages):
    for target in ("https://evil.example/", "//evil.example", "/\\evil"):
        response = pages.get("/language/en", params={"next": target})
        assert response.headers["location"] == "/verify"


def test_browser_language_is_the_default(pages):
    page = pages.get("/verify", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in page.text


# --- the ledger page ------------------------------------------------------------------


def test_ledger_page_and_the_audit_for_auditors_only(world, pages):
    page = pages.get("/ledger")
    assert page.status_code == 200
    assert "own signature" in page.text
    assert "<progress" not in page.text
    pages.sign_in("sg-importer")
    refused = pages.post("/ledger/audits", {}, token=pages.csrf("/ledger"))
    assert refused.status_code == 403
    auditor = Pages(world.base)
    try:
        auditor.sign_in("kz-auditor")
        started = auditor.post("/ledger/audits", {}, token=auditor.csrf("/ledger"))
        assert started.status_code == 303
        job = started.headers["location"]
        assert "<progress" in auditor.get(job).text
        assert world.site.audits.wait(job.rsplit("/", 1)[1], timeout=60)
        state = auditor.get(job + "/progress").json()
        assert state["finished"]
        assert state["percent"] == 100
        assert state["result"]["ok"] is True
        assert "The whole log checks out" in auditor.get(job).text
        # Another organisation cannot read this audit.
        assert pages.get(job + "/progress").status_code == 404
    finally:
        auditor.close()
