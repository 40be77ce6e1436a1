"""The certificate of service hours as a PDF (志愿服务时长证明), with a QR code that verifies it.

Text is set in STSong-Light, one of the CJK fonts every PDF reader carries, so the file
embeds no font and nothing is fetched to make it. The QR code is drawn as vector squares
from segno's matrix, so it stays sharp when printed at any size.
"""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from kepu.volunteers.models import Certificate

FONT = "STSong-Light"
INK = HexColor("#1f2933")
ACCENT = HexColor("#b3261e")
MUTED = HexColor("#52606d")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def qr_code(data: str) -> segno.QRCode:
    """The QR code printed on a certificate (the one place that makes it, so tests can check its payload)."""
    return segno.make(data, error="m")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
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


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    code = qr_code(data)
    matrix = list(code.matrix)
    n = len(matrix)
    cell = size / n
    canvas.setFillColor(INK)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                # A hair wider than the cell so that no seam shows between neighbouring modules.
                canvas.rect(x + col * cell, y + size - (row + 1) * cell, cell + 0.05, cell + 0.05, stroke=0, fill=1)


def certificate_pdf(cert: Certificate, *, verify_url: str) -> bytes:
    """One A4 page: who, how many hours, which stars, when, issued by whom, and the QR code to check it."""
    font = _font()
    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{_('Certificate of volunteer service hours')} {cert.number}")
    canvas.setAuthor(cert.organization.name if cert.organization_id else "kepu")

    margin = 18 * mm
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.rect(margin + 3 * mm, margin + 3 * mm, width - 2 * margin - 6 * mm, height - 2 * margin - 6 * mm,
                stroke=1, fill=0)

    inner = margin + 14 * mm
    text_width = width - 2 * inner
    y = height - margin - 30 * mm
    canvas.setFillColor(ACCENT)
    canvas.setFont(font, 26)
    canvas.drawCentredString(width / 2, y, _("Certificate of volunteer service hours"))

    volunteer = cert.volunteer
    name = volunteer.real_name or _("Anonymized at the volunteer's request")
    hours = round(cert.minutes / 60, 1)
    y -= 22 * mm
    canvas.setFillColor(INK)
    canvas.setFont(font, 15)
    body = _("This certifies that science volunteer %(name)s has served %(hours)s hours of volunteer service.") % {
        "name": name, "hours": hours}
    for line in _wrap(body, font, 15, text_width):
        canvas.drawString(inner, y, line)
        y -= 9 * mm

    if cert.period_start and cert.period_end:
        period = f"{cert.period_start:%Y-%m-%d} — {cert.period_end:%Y-%m-%d}"
    else:
        period = "—"
    stars = (ngettext("%(s)s-star volunteer", "%(s)s-star volunteer", cert.stars) % {"s": cert.stars}
             if cert.stars else _("No star level yet"))
    facts = [
        (_("Name of the volunteer"), name),
        (_("ID number"), volunteer.masked_id_number or "—"),
        (_("Total hours"), f"{hours}"),
        (_("Star level"), stars),
        (_("Period of service"), period),
        (_("Issuing organization"), cert.organization.name if cert.organization_id else "—"),
        (_("Certificate number"), cert.number),
        (_("Date of issue"), f"{timezone.localtime(cert.issued_at):%Y-%m-%d}"),
    ]
    y -= 6 * mm
    label_width = max(pdfmetrics.stringWidth(label, font, 12) for label, _value in facts) + 6 * mm
    canvas.setFont(font, 12)
    for label, value in facts:
        lines = _wrap(str(value), font, 12, text_width - label_width)
        canvas.setFillColor(MUTED)
        canvas.drawString(inner, y, label)
        canvas.setFillColor(INK)
        for line in lines:
            canvas.drawString(inner + label_width, y, line)
            y -= 7 * mm
        y -= 1.5 * mm

    qr_size = 42 * mm
    qr_x = width - inner - qr_size
    qr_y = margin + 26 * mm
    _draw_qr(canvas, verify_url, qr_x, qr_y, qr_size)
    canvas.setFont(font, 10)
    canvas.setFillColor(MUTED)
    note_width = qr_x - inner - 8 * mm
    note_y = qr_y + qr_size - 4 * mm
    for line in _wrap(_("Scan the QR code or open this address to verify"), font, 10, note_width):
        canvas.drawString(inner, note_y, line)
        note_y -= 5 * mm
    url_lines = _wrap(verify_url, font, 9, note_width)
    canvas.setFont(font, 9)
    for line in url_lines:
        canvas.drawString(inner, note_y, line)
        note_y -= 4.5 * mm

    canvas.setFont(font, 12)
    canvas.setFillColor(INK)
    issuer = cert.organization.name if cert.organization_id else ""
    if issuer:
        lines = _wrap(issuer, font, 12, note_width)[:2]
        line_y = qr_y + 8 * mm + (len(lines) - 1) * 6 * mm
        for line in lines:
            canvas.drawString(inner, line_y, line)
            line_y -= 6 * mm
    canvas.drawString(inner, qr_y, f"{timezone.localtime(cert.issued_at):%Y-%m-%d}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()
