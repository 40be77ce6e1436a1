"""The monthly report as a PDF (reportlab, the reader's built-in Chinese font: ``kepu.core.pdf``) and as a Word
document (python-docx), from the figures the report keeps (``MonthlyReport.figures``), so both say the same and
say what the page said that day."""

from __future__ import annotations

import io

from kepu.core.pdf import INK, cjk_font, wrap
from kepu.leaders.charts import LAST, THIS, fmt


def _value(v, unit: str) -> str:
    if v is None:
        return "—"
    from decimal import Decimal

    text = fmt(Decimal(str(v)))
    return f"{text}%" if unit == "%" else f"{text} {unit}".rstrip()


def pdf(data: dict) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    font = cjk_font()
    out = io.BytesIO()
    width, height = A4
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(data["title"])
    c.setAuthor(data["author"])
    margin = 18 * mm
    text_w = width - 2 * margin
    y = height - margin

    def line(text: str, size: float = 10.5, colour=INK, indent: float = 0.0, gap: float = 1.6):
        nonlocal y
        c.setFont(font, size)
        c.setFillColor(colour)
        for part in wrap(text, font, size, text_w - indent):
            if y < margin + size:
                c.showPage()
                y = height - margin
                c.setFont(font, size)
                c.setFillColor(colour)
            c.drawString(margin + indent, y - size, part)
            y -= size * gap

    line(data["title"], 18, HexColor("#0b4ea2"))
    line(data["subtitle"], 10, HexColor("#52606d"))
    y -= 4
    cols = data["columns"]
    for section in data["sections"]:
        y -= 4
        line(section["label"], 13.5, HexColor("#0b4ea2"))
        if not section["connected"]:
            line(data["not_connected"], 10.5, HexColor("#52606d"), indent=4 * mm)
            continue
        for r in section["rows"]:
            if y < margin + 20:
                c.showPage()
                y = height - margin
            c.setFont(font, 10.5)
            c.setFillColor(INK)
            c.drawString(margin + 4 * mm, y - 10.5, r["label"])
            c.drawRightString(margin + 120 * mm, y - 10.5, _value(r["value"], r["unit"]))
            c.setFillColor(HexColor("#52606d"))
            c.drawRightString(margin + 160 * mm, y - 10.5, f"{cols['last']} {_value(r['last'], r['unit'])}")
            y -= 10.5 * 1.6
        for note in section.get("notes", []):
            line(note, 9.5, HexColor("#52606d"), indent=4 * mm)
    counted = [r for s in data["sections"] for r in s.get("rows", []) if r["unit"] != "%" and r["value"] is not None]
    if counted:
        c.showPage()
        y = height - margin
        line(data["chart_title"], 13.5, HexColor("#0b4ea2"))
        bar_h, label_w = 7, 55 * mm
        room = text_w - label_w - 25 * mm
        c.setFillColor(LAST_PDF := HexColor(LAST))
        c.rect(margin + label_w, y - 10, 8, 8, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(font, 9)
        c.drawString(margin + label_w + 12, y - 9, cols["last"])
        c.setFillColor(THIS_PDF := HexColor(THIS))
        c.rect(margin + label_w + 80, y - 10, 8, 8, stroke=0, fill=1)
        c.setFillColor(INK)
        c.drawString(margin + label_w + 92, y - 9, cols["this"])
        y -= 22
        for r in counted:
            if y < margin + 30:
                c.showPage()
                y = height - margin
            this, last = float(r["value"] or 0), float(r["last"] or 0)
            top = max(this, last) or 1.0
            c.setFillColor(INK)
            c.setFont(font, 9)
            c.drawString(margin, y - 2 * bar_h + 2, r["label"][:16])
            for value, colour, dy in ((last, LAST_PDF, 0), (this, THIS_PDF, bar_h)):
                w = room * value / top
                c.setFillColor(colour)
                c.rect(margin + label_w, y - dy - bar_h, w, bar_h - 1, stroke=0, fill=1)
                c.setFillColor(INK)
                c.setFont(font, 8)
                c.drawString(margin + label_w + w + 3, y - dy - bar_h + 1, fmt(value))
            y -= 2 * bar_h + 8
    for title, rows in data["lists"]:
        if not rows:
            continue
        y -= 6
        line(title, 13.5, HexColor("#0b4ea2"))
        for text in rows:
            line(f"· {text}", 10, INK, indent=4 * mm, gap=1.5)
    c.save()
    return out.getvalue()


def docx(data: dict) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = data["title"]
    doc.core_properties.author = data["author"]
    doc.add_heading(data["title"], level=0)
    doc.add_paragraph(data["subtitle"])
    cols = data["columns"]
    for section in data["sections"]:
        doc.add_heading(section["label"], level=1)
        if not section["connected"]:
            doc.add_paragraph(data["not_connected"])
            continue
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        head = table.rows[0].cells
        head[0].text, head[1].text, head[2].text = cols["figure"], cols["this"], cols["last"]
        for r in section["rows"]:
            cells = table.add_row().cells
            cells[0].text = r["label"]
            cells[1].text = _value(r["value"], r["unit"])
            cells[2].text = _value(r["last"], r["unit"])
        for note in section.get("notes", []):
            doc.add_paragraph(note)
    for title, rows in data["lists"]:
        if not rows:
            continue
        doc.add_heading(title, level=1)
        for text in rows:
            doc.add_paragraph(text, style="List Bullet")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
