"""The pages in real Chromium (Debian's, driven by Playwright): verifying a valid, a tampered
and a printed certificate's QR text; the Document page proving its entries in the browser
with WebCrypto; the eBL desk from transfer to the refused second pickup; the language
switch remembered; a document field holding HTML shown as text; axe-core on every page,
also at 360 px wide. Each page's screenshot goes to test-artifacts/pages/."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from api.http.pages.lookup import qr_text
from tests.api.conftest import auth
from tests.pages import chromium
from tests.pages.test_print import qr_of

pytestmark = pytest.mark.browser

CHROMIUM = chromium.executable()
if CHROMIUM is None:
    pytest.skip(chromium.ABSENT, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=chromium.ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe() -> str:
    return chromium.axe_source()


class Desk:
    """One person at one browser: their own cookies; axe-core loaded into a page when it is
    checked (by the DevTools protocol, so the page's CSP is kept as it is)."""

    def __init__(self, browser: Browser, base: str, axe: str, width: int = 1280) -> None:
        self.base = base
        self.context = browser.new_context(
            base_url=base, viewport={"width": width, "height": 900}, locale="en-GB"
        )
        self.axe = axe
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def close(self) -> None:
        self.context.close()

    def open(self, path: str) -> Page:
        response = self.page.goto(path)
        assert response is not None
        return self.page

    def check(self, name: str) -> None:
        """No serious or critical axe-core violation on the page; its screenshot saved."""
        chromium.screenshot(self.page, name)
        violations = chromium.serious_violations(self.page, self.axe)
        assert not violations, json.dumps(violations, indent=1)

    def sign_in(self, org: str) -> None:
        page = self.open("/sign-in?next=/desk")
        page.get_by_label("Organisation", exact=True).select_option(org)
        page.get_by_role("button", name="Sign in as this organisation").click()
        expect(page).to_have_url(re.compile(r"/desk$"))

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("link", name="Sign in")).to_be_visible()

    def act(self, link: str, fill=None) -> Page:
        """Follow the action ``link`` from the current page, fill its form, review, confirm."""
        page = self.page
        page.get_by_role("link", name=link).first.click()
        if fill:
            fill(page)
        page.get_by_role("button", name="Continue to review").click()
        expect(page.get_by_role("heading", name="Check before you confirm")).to_be_visible()
        page.get_by_role("button", name=re.compile("^Confirm")).click()
        return page


@pytest.fixture
def desk(browser, world, axe):
    person = Desk(browser, world.base, axe)
    yield person
    assert not person.dialogs, person.dialogs  # no script of a document's ever ran
    person.close()


def verdict_of(page: Page) -> str:
    box = page.locator("[data-verdict]")
    expect(box).to_have_count(1)
    return box.get_attribute("data-verdict") or ""


# --- Verify ---------------------------------------------------------------------------


def test_verify_a_valid_a_tampered_and_a_printed_certificate(world, desk):
    page = desk.open("/verify")
    desk.check("verify")
    # The file, chosen: the page's script reads it into the text box the officer sees.
    box = page.get_by_label("Signed document (JSON)", exact=True)
    signed = world.signed(world.co)
    page.get_by_label("Or choose the file").set_input_files(
        files=[{"name": "co.json", "mimeType": "application/json", "buffer": signed}]
    )
    expect(box).to_have_value(signed.decode())
    page.get_by_role("button", name="Verify the document").click()
    assert verdict_of(page) == "valid"
    expect(page.locator("#verdict-word")).to_have_text("VALID")
    expect(page.locator(".check-fail")).to_have_count(0)
    expect(page.locator(".fact-issuerName")).to_contain_text("General Administration of Customs")
    desk.check("verify-valid")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the proof bundle").click()
    bundle = json.loads(download.value.path().read_text("utf-8"))
    assert bundle["entries"]

    # A tampered copy, dropped on the form.
    envelope = json.loads(world.signed(world.co))
    envelope["document"]["exporter"]["name"] = "Someone Else Ltd."
    tampered = json.dumps(envelope)
    dropped = page.evaluate_handle(
        """text => { const d = new DataTransfer();
            d.items.add(new File([text], 'co.json', {type: 'application/json'})); return d; }""",
        tampered,
    )
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": dropped})
    expect(page.get_by_label("Signed document (JSON)", exact=True)).to_have_value(tampered)
    page.get_by_role("button", name="Verify the document").click()
    assert verdict_of(page) == "invalid"
    expect(page.locator("#verdict-word")).to_have_text("INVALID")
    expect(page.locator('[data-check="integrity"]')).to_have_attribute("data-status", "fail")
    desk.check("verify-invalid")

    # The text of the printed certificate's QR code (decoded from its PDF), typed as a
    # scanner would.
    pdf = httpx.get(
        f"{world.base}/v1/documents/{world.co}/print",
        headers=auth(world.home, "sg-customs"),
        timeout=30,
    )
    scanned = qr_of(pdf.content)
    assert scanned == qr_text(world.base, world.co)
    page.get_by_label("The QR code's text", exact=False).fill(scanned)
    page.get_by_label("The QR code's text", exact=False).press("Enter")
    assert verdict_of(page) == "valid"
    page.get_by_label("The QR code's text", exact=False).fill("sha256:" + "ab" * 32)
    page.get_by_role("button", name="Look it up").click()
    assert verdict_of(page) == "unknown"
    desk.check("verify-unknown")


# --- Document -------------------------------------------------------------------------


def test_document_page_proves_its_entries_in_the_browser(world, desk):
    desk.sign_in("cn-cosco")
    page = desk.open(f"/documents/{world.ebl}")
    summary = page.locator("#proof-summary")
    expect(summary).to_have_attribute("data-total", re.compile(r"^[1-9]"))
    total = summary.get_attribute("data-total")
    assert total is not None
    assert int(total) >= 3  # issued, endorsed twice (and more once the desk test has run)
    expect(summary).to_have_attribute("data-proven", total)
    expect(page.locator('.proof[data-result="proven"]')).to_have_count(int(total))
    expect(page.locator("#signature-result")).to_have_attribute("data-result", "ok")
    desk.check("document")


def test_a_wrong_checkpoint_fails_the_proofs_in_the_browser(world, desk):
    """The script really checks: the same page with the checkpoint's root hash altered in
    transit proves nothing and its signature does not verify."""
    desk.sign_in("cn-gacc")
    path = f"/documents/{world.co}"

    def alter(route):
        response = route.fetch()
        body = response.text()
        lines = re.search(r'"checkpoint": "([^"]*)"', body)
        assert lines is not None
        note = lines.group(1).split("\\n")
        note[2] = "A" * 43 + "="  # another root hash
        route.fulfill(response=response, body=body.replace(lines.group(1), "\\n".join(note)))

    desk.page.route(f"**{path}", alter)
    page = desk.open(path)
    summary = page.locator("#proof-summary")
    expect(summary).to_have_attribute("data-proven", "0")
    expect(page.locator('.proof[data-result="failed"]').first).to_be_visible()
    expect(page.locator("#signature-result")).to_have_attribute("data-result", "bad")


def test_a_field_with_html_is_shown_as_text_and_never_runs(world, desk):
    desk.sign_in("cn-gacc")
    page = desk.open(f"/documents/{world.xss}")
    expect(page.get_by_text("<img src=x onerror=alert(1)>").first).to_be_visible()
    expect(page.locator('img[src="x"]')).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    desk.check("document-html-field")
    # And on the Verify page's report and the text box it echoes.
    page = desk.open("/verify")
    page.get_by_label("Signed document (JSON)", exact=True).fill(world.signed(world.xss).decode())
    page.get_by_role("button", name="Verify the document").click()
    assert verdict_of(page) == "valid"
    assert page.evaluate("window.__pwned") is None


# --- the eBL desk ---------------------------------------------------------------------


def test_ebl_desk_from_transfer_to_the_refused_second_pickup(world, desk, browser, axe):
    anchor = f"#ebl-{world.ebl[7:19]}"
    # The holder transfers the eBL, after the review step.
    desk.sign_in("sg-importer")
    desk.check("desk")
    ebl = desk.page.locator(anchor)
    expect(ebl.get_by_role("link", name="Accept")).to_have_count(0)  # not the carrier's
    desk.page.locator(anchor).get_by_role("link", name="Transfer", exact=True).click()
    desk.page.get_by_label("To", exact=True).select_option("sg-dbs")
    desk.page.get_by_role("button", name="Continue to review").click()
    desk.check("desk-review")
    assert world.node.ledger.document(world.ebl).holder == "sg-importer"  # not yet
    desk.page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(desk.page.locator(".notice-ok")).to_be_visible()
    expect(desk.page.locator(anchor)).to_have_count(0)  # no longer held
    desk.sign_out()

    # The receiver signs in with its key file and passphrase, sees it, and surrenders it.
    page = desk.open("/sign-in?next=/desk")
    page.get_by_label("Key file").set_input_files(
        str(world.home.path / "orgs" / "sg-dbs" / "document.key")
    )
    page.get_by_label("Passphrase").fill("tdx-demo-passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/desk$"))
    ebl = desk.page.locator(anchor)
    expect(ebl).to_contain_text("sg-dbs")
    ebl.get_by_role("link", name="Surrender").click()
    desk.page.get_by_label("For delivery of the goods", exact=True).check()
    desk.page.get_by_role("button", name="Continue to review").click()
    desk.page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(desk.page.locator(".notice-ok")).to_be_visible()
    desk.sign_out()

    # The carrier accepts the surrender and releases a container at the terminal.
    desk.sign_in("cn-cosco")
    desk.page.locator(anchor).get_by_role("link", name="Accept").click()
    desk.page.get_by_role("button", name="Continue to review").click()
    desk.page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(desk.page.locator(".notice-ok")).to_be_visible()
    desk.page.locator(anchor).get_by_role("link", name="Release").click()
    boxes = desk.page.locator('input[name="containers"]')
    container = boxes.first.get_attribute("value")
    for i in range(1, boxes.count()):
        boxes.nth(i).uncheck()
    desk.page.get_by_label("To", exact=True).select_option("sg-dbs")
    desk.page.get_by_label("Terminal", exact=True).select_option("sg-psa")
    desk.check("desk-release")
    desk.page.get_by_role("button", name="Continue to review").click()
    desk.page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(desk.page.locator(".notice-ok")).to_be_visible()
    desk.sign_out()

    # Two gate desks of the terminal review the pickup; the first one lets it out, the
    # second is refused by the ledger's rule.
    desk.sign_in("sg-psa")
    other = Desk(browser, world.base, axe)
    try:
        other.sign_in("sg-psa")
        for gate in (desk, other):
            page = gate.open(f"/desk/containers?number={container}")
            page.get_by_role("link", name="Let out at the gate").click()
            presenting = page.get_by_label("Party presenting itself at the gate", exact=True)
            presenting.select_option("sg-dbs")
            page.get_by_role("button", name="Continue to review").click()
        desk.check("container-review")
        desk.page.get_by_role("button", name=re.compile("^Confirm")).click()
        expect(desk.page.locator(".notice-ok")).to_be_visible()
        expect(desk.page.locator(".right-status")).to_contain_text("Picked up by sg-psa")
        desk.check("container")
        other.page.get_by_role("button", name=re.compile("^Confirm")).click()
        refusal = f"container {container} already picked up"
        expect(other.page.locator("main")).to_contain_text(refusal)
        other.check("container-refused")
        assert world.node.ledger.pickup_right(container).picked_up_by == "sg-psa"
    finally:
        other.close()


# --- language, ledger, sign-in and the narrow screen ----------------------------------


def test_the_language_switch_is_remembered(world, desk, browser, axe):
    page = desk.open("/ledger")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page).to_have_url(re.compile(r"/ledger$"))
    desk.check("ledger-zh")
    page.goto("/verify")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("h1")).to_contain_text("核验")
    # A new tab of the same browser remembers; another browser does not.
    tab = desk.context.new_page()
    tab.goto("/sign-in")
    expect(tab.locator("html")).to_have_attribute("lang", "zh")
    tab.close()
    page.get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    desk.check("verify-ru")
    stranger = Desk(browser, world.base, axe)
    try:
        expect(stranger.open("/verify").locator("html")).to_have_attribute("lang", "en")
    finally:
        stranger.close()


def test_every_page_at_360_px_is_accessible_and_fits(world, browser, axe):
    phone = Desk(browser, world.base, axe, width=360)
    try:
        pages = ["/verify", "/sign-in", "/ledger", f"/verify?digest={world.co}"]
        for path in pages:
            phone.open(path)
            phone.check("360-" + re.sub(r"\W+", "-", path.strip("/"))[:20])
            assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360, path
        phone.sign_in("kz-auditor")
        for path in ("/desk", f"/documents/{world.co}", "/desk/containers?number=CXRU1523418"):
            phone.open(path)
            phone.check("360-" + path.strip("/").split("/")[0] + "-auditor")
            assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360, path
        # The whole-log audit with its progress bar, to the end.
        phone.open("/ledger")
        phone.page.get_by_role("button", name=re.compile("Verify the whole log")).click()
        expect(phone.page.locator("main")).to_contain_text("The whole log checks out")
        phone.check("360-audit")
        # Keyboard: the skip link is the first stop and leads to the main content.
        phone.open("/verify")
        phone.page.keyboard.press("Tab")
        focused = phone.page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#main"
        # The check itself sees a field without a label (axe-core: critical).
        phone.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<input>')")
        found = chromium.serious_violations(phone.page, axe)
        assert [v["id"] for v in found] == ["label"]
    finally:
        phone.close()
