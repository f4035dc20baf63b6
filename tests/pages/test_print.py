"""The printable certificate: a readable PDF whose QR code, decoded from the PDF itself,
is the node's verify URL with the digest, and whose text typed into the Verify page
verifies the document; by the API (bearer token, read policy) and ``tdx doc print``."""

import io
import re

import httpx
import pypdf
import zxingcpp
from typer.testing import CliRunner

from api.cli.main import app
from api.http.pages.lookup import qr_text
from tests.api.conftest import auth


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def qr_of(pdf: bytes) -> str:
    """The text of the QR code drawn on the PDF's first page."""
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    decoded = [
        r.text
        for image in page.images
        for r in zxingcpp.read_barcodes(image.image.convert("L"))
        if r.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert len(decoded) == 1, decoded
    return decoded[0]


def test_print_api_renders_a_certificate_whose_qr_code_verifies(world):
    url = f"{world.base}/v1/documents/{world.co}/print"
    response = httpx.get(url, headers=auth(world.home, "sg-customs"), timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    text = re.sub(r"\s+", " ", _text(pdf))
    assert "Certificate of origin" in text
    assert "S263100012600018" in text
    assert "General Administration of Customs" in text
    assert "Verified by the issuing node when printed" in text
    qr = qr_of(pdf)
    assert qr == qr_text(world.base, world.co)
    # The QR code's text, typed into the Verify page, verifies the document.
    page = httpx.get(f"{world.base}/verify", params={"reference": qr})
    assert 'data-verdict="valid"' in page.text


def test_print_follows_the_read_policy_and_needs_a_token(world):
    url = f"{world.base}/v1/documents/{world.co}/print"
    assert httpx.get(url).status_code == 401
    refused = httpx.get(url, headers=auth(world.home, "sg-dbs"))
    assert refused.status_code == 403
    assert refused.json()["rule"] == "need-to-know"
    missing = httpx.get(
        f"{world.base}/v1/documents/sha256:{'0' * 64}/print", headers=auth(world.home, "cn-gacc")
    )
    assert missing.status_code == 404


def test_print_in_chinese_and_russian(world):
    for lang, label in (("zh", "原产地证书"), ("ru", "Сертификат происхождения")):
        response = httpx.get(
            f"{world.base}/v1/documents/{world.co}/print",
            params={"lang": lang},
            headers=auth(world.home, "cn-gacc"),
            timeout=30,
        )
        assert response.status_code == 200
        assert label in _text(response.content).replace("\n", "")


def test_the_document_page_prints_for_a_signed_in_reader(world, pages):
    pages.sign_in("sg-customs")
    response = pages.get(f"/documents/{world.co}/certificate.pdf")
    assert response.status_code == 200
    assert qr_of(response.content) == qr_text(world.base, world.co)


def test_tdx_doc_print(world, tmp_path):
    out = tmp_path / "co.pdf"
    args = ["doc", "print", world.co, "--out", str(out), "--home", str(world.home.path)]
    result = CliRunner().invoke(app, [*args, "--base-url", "https://cn.tdx.example"])
    assert result.exit_code == 0, result.output
    assert qr_of(out.read_bytes()) == f"https://cn.tdx.example/verify?digest={world.co}"
    unknown = CliRunner().invoke(
        app,
        ["doc", "print", "sha256:" + "0" * 64, "--out", str(out), "--home", str(world.home.path)],
    )
    assert unknown.exit_code == 1
    assert "is not on the ledger" in unknown.output
    bad = CliRunner().invoke(app, [*args, "--base-url", "node.example"])
    assert bad.exit_code == 2
