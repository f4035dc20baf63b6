"""The node's web pages, for people who do not open a terminal: Verify (public), the
Document page, the eBL desk, the Ledger page and signing in, server-rendered with Jinja2 in
English, 中文 and Русский, plus the printable certificate with its QR code
(``GET /v1/documents/{id}/print``).

Offers ``mount`` (adds the pages to the node's FastAPI app), ``Site`` (what the pages
share), ``print_pdf`` and ``qr_text``. No JavaScript build step: three small scripts in
``static/`` (a dropped file into the form, the inclusion proofs checked with WebCrypto, the
audit's progress), each loaded under the page's CSP nonce.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.http.pages import (
    desk_page,
    document_page,
    language,
    ledger_page,
    print_api,
    sign_in,
    verify_page,
)
from api.http.pages.lookup import qr_text
from api.http.pages.printing import print_pdf
from api.http.pages.site import Site
from api.http.pages.timing import ServerTiming
from network.node import Node


def mount(app: FastAPI, node: Node) -> Site:
    """Add the pages (and the print endpoint of the API) to ``app``, which serves ``node``."""
    site = Site(node)
    app.state.pages = site
    for module in (verify_page, sign_in, document_page, desk_page, ledger_page, language):
        app.include_router(module.router)
    app.include_router(print_api.router)
    app.mount("/static", StaticFiles(packages=[("api.http.pages", "static")]), name="pages-static")
    app.add_middleware(ServerTiming)
    return site


__all__ = ["Site", "mount", "print_pdf", "qr_text"]
