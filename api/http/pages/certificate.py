"""The printable certificate: a document as a readable PDF, with a QR code to verify it.

Drawn with reportlab (pure pip; an HTML-to-PDF engine such as weasyprint needs Pango and
its friends from the system). The QR code (segno) carries the issuing node's verify URL
with the document's digest (``lookup.qr_text``), and its text is printed beside it, for a
reader without a camera. Latin and Cyrillic text use DejaVu Sans when the system has it
(Debian's fonts-dejavu-core), CJK text Adobe's STSong-Light, which every PDF reader
supplies; without DejaVu, non-Latin-1 text falls back to STSong-Light, which covers
Cyrillic too. The fields are the document's own, labelled as the Document page labels them.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from api.http.pages.fields import Field, fields_of
from api.http.pages.i18n import Catalog

_DEJAVU = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
_CJK_FONT = "STSong-Light"
# Han, kana, Hangul, CJK punctuation and full-width forms: drawn with the CJK font.
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")
_NOT_LATIN1 = re.compile(r"[^\x00-\xff]+")


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    # Runs this pattern matches are drawn with the CJK font.
    wide: re.Pattern[str]


@cache
def fonts() -> Fonts:
    pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    if all(p.is_file() for p in _DEJAVU):
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(_DEJAVU[0])))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(_DEJAVU[1])))
        return Fonts("DejaVuSans", "DejaVuSans-Bold", _CJK)
    return Fonts("Helvetica", "Helvetica-Bold", _NOT_LATIN1)


def _markup(text: str, f: Fonts) -> str:
    """Paragraph markup of plain text: escaped, with wide runs in the CJK font."""
    out = []
    last = 0
    for m in f.wide.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f'<font name="{_CJK_FONT}">{escape(m.group())}</font>')
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


@dataclass(frozen=True)
class CertificateData:
    """What the printed certificate shows."""

    kind: str
    reference: str | None
    digest: str
    issuer: str
    issuer_name: str | None
    issuer_country: str | None
    anchored_at: str | None
    state: str
    holder: str | None
    verified: bool
    content: dict[str, Any]
    qr_text: str
    node: str
    printed_at: datetime.datetime


def qr_png(text: str) -> bytes:
    """The QR code of ``text`` as a PNG (error correction M, a quiet zone of 4 modules)."""
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


def _value_text(value: object, t: Catalog) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    return str(value)


def _rows(
    fields: Sequence[Field], t: Catalog, depth: int = 0
) -> Iterator[tuple[int, str, str | None]]:
    for field in fields:
        if field.group:
            yield depth, field.label, None
            yield from _rows(field.children, t, depth + 1)
        else:
            yield depth, field.label, _value_text(field.value, t)


class _Styles:
    def __init__(self, f: Fonts) -> None:
        self.title = ParagraphStyle("title", fontName=f.bold, fontSize=18, leading=22)
        self.subtitle = ParagraphStyle("subtitle", fontName=f.regular, fontSize=11, leading=14)
        self.label = ParagraphStyle("label", fontName=f.bold, fontSize=8.5, leading=11)
        self.value = ParagraphStyle("value", fontName=f.regular, fontSize=8.5, leading=11)
        self.small = ParagraphStyle("small", fontName=f.regular, fontSize=7.5, leading=9.5)
        self.verdict = ParagraphStyle("verdict", fontName=f.bold, fontSize=12, leading=15)


def render(data: CertificateData, t: Catalog) -> bytes:
    """The certificate as PDF bytes, labelled in ``t``'s language."""
    f = fonts()
    s = _Styles(f)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{t('kind.' + data.kind)} {data.reference or data.digest}",
        author=data.issuer_name or data.issuer,
        subject=data.digest,
        creator="tdx",
    )

    def p(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(_markup(text, f), style)

    story: list[Flowable] = [
        p(t("kind." + data.kind), s.title),
        p(data.reference or "", s.subtitle),
        Spacer(1, 4 * mm),
    ]
    summary = [
        (t("fact.issuerName"), data.issuer_name or data.issuer),
        (t("fact.issuer"), data.issuer),
        (t("fact.issuerCountry"), data.issuer_country or "—"),
        (t("fact.anchoredAt"), data.anchored_at or "—"),
        (t("fact.state"), data.state),
        *([(t("fact.holder"), data.holder)] if data.holder else []),
        (t("fact.digest"), data.digest),
    ]
    facts = Table(
        [[p(k, s.label), p(v, s.value)] for k, v in summary],
        colWidths=[38 * mm, 82 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
    )
    qr = Image(io.BytesIO(qr_png(data.qr_text)), width=50 * mm, height=50 * mm)
    verdict_text = t("print.verified") if data.verified else t("print.not_verified")
    qr_block = [qr, p(t("print.scan"), s.small), p(data.qr_text, s.small)]
    head = Table(
        [[[p(verdict_text, s.verdict), Spacer(1, 2 * mm), facts], qr_block]],
        colWidths=[124 * mm, 54 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#1f2937")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
            ]
        ),
    )
    story += [head, Spacer(1, 6 * mm), p(t("document.fields"), s.verdict), Spacer(1, 2 * mm)]
    listed = list(_rows(fields_of(data.content), t))
    rows = [
        [p(label, s.label if text is None else s.value), p(text or "", s.value)]
        for _, label, text in listed
    ]
    indents = [depth for depth, _, _ in listed]
    if rows:
        style: list[Any] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d1d5db")),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
        style += [("LEFTPADDING", (0, i), (0, i), 4 + 8 * d) for i, d in enumerate(indents) if d]
        story.append(Table(rows, colWidths=[62 * mm, 116 * mm], style=TableStyle(style)))
    footer = t("print.footer", node=data.node, time=data.printed_at.isoformat(timespec="seconds"))

    def on_page(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        line = Paragraph(f"{_markup(footer, f)} · {canvas.getPageNumber()}", s.small)
        line.wrapOn(canvas, 178 * mm, 12 * mm)
        line.drawOn(canvas, 16 * mm, 8 * mm)
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


__all__ = ["CertificateData", "fonts", "qr_png", "render"]
