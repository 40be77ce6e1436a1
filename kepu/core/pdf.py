"""Pieces of the platform's PDF documents (certificates): the reader's own Chinese font, wrapped lines, QR codes.

Text is set in STSong-Light, one of the CJK fonts every PDF reader carries, so a file embeds no
font and nothing is fetched to make it. QR codes are drawn as vector squares from segno's matrix,
so they stay sharp when printed at any size.
"""

from __future__ import annotations

from reportlab.lib.colors import HexColor
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

FONT = "STSong-Light"
INK = HexColor("#1f2933")


def cjk_font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than ``width``: broken at spaces where there are some, else between any characters
    (Chinese has no spaces, nor has an address)."""
    lines = []
    for line in simpleSplit(text, font, size, width) or [""]:
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def draw_qr(canvas, code, x: float, y: float, size: float, color=INK) -> None:
    """Draw a segno QR code as squares, ``size`` wide, lower left corner at (x, y)."""
    matrix = list(code.matrix)
    n = len(matrix)
    cell = size / n
    canvas.setFillColor(color)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                # A hair wider than the cell so that no seam shows between neighbouring modules.
                canvas.rect(x + col * cell, y + size - (row + 1) * cell, cell + 0.05, cell + 0.05, stroke=0, fill=1)


def certificate_page(
    *,
    heading: str,
    title: str,
    body: str,
    facts: list[tuple[str, str]],
    qr,
    verify_url: str,
    note: str,
    issuer: str,
    issued: str,
    author: str,
    accent,
    muted=None,
) -> bytes:
    """One A4 certificate: a double frame, ``heading``, a sentence, the facts as label and value, and at the
    foot the QR code (``qr``, a segno code of ``verify_url``) with ``note`` and the address, the issuer and the
    date. ``title`` is the document's title in the reader."""
    import io

    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    muted = muted or HexColor("#52606d")
    font = cjk_font()
    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    margin = 18 * mm
    canvas.setStrokeColor(accent)
    canvas.setLineWidth(2)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.rect(
        margin + 3 * mm, margin + 3 * mm, width - 2 * margin - 6 * mm, height - 2 * margin - 6 * mm, stroke=1, fill=0
    )
    inner = margin + 14 * mm
    text_width = width - 2 * inner
    y = height - margin - 30 * mm
    canvas.setFillColor(accent)
    canvas.setFont(font, 26)
    canvas.drawCentredString(width / 2, y, heading)
    y -= 22 * mm
    canvas.setFillColor(INK)
    canvas.setFont(font, 15)
    for line in wrap(body, font, 15, text_width):
        canvas.drawString(inner, y, line)
        y -= 9 * mm
    y -= 6 * mm
    label_width = max(pdfmetrics.stringWidth(label, font, 12) for label, _value in facts) + 6 * mm
    canvas.setFont(font, 12)
    for label, value in facts:
        canvas.setFillColor(muted)
        canvas.drawString(inner, y, label)
        canvas.setFillColor(INK)
        for line in wrap(str(value), font, 12, text_width - label_width):
            canvas.drawString(inner + label_width, y, line)
            y -= 7 * mm
        y -= 1.5 * mm
    qr_size = 42 * mm
    qr_x = width - inner - qr_size
    qr_y = margin + 26 * mm
    draw_qr(canvas, qr, qr_x, qr_y, qr_size, INK)
    note_width = qr_x - inner - 8 * mm
    note_y = qr_y + qr_size - 4 * mm
    canvas.setFont(font, 10)
    canvas.setFillColor(muted)
    for line in wrap(note, font, 10, note_width):
        canvas.drawString(inner, note_y, line)
        note_y -= 5 * mm
    canvas.setFont(font, 9)
    for line in wrap(verify_url, font, 9, note_width):
        canvas.drawString(inner, note_y, line)
        note_y -= 4.5 * mm
    canvas.setFont(font, 12)
    canvas.setFillColor(INK)
    if issuer:
        lines = wrap(issuer, font, 12, note_width)[:2]
        line_y = qr_y + 8 * mm + (len(lines) - 1) * 6 * mm
        for line in lines:
            canvas.drawString(inner, line_y, line)
            line_y -= 6 * mm
    canvas.drawString(inner, qr_y, issued)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
