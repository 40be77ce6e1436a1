"""The certificate of a science base's title (科普基地证书) as a PDF, with a QR code that verifies it.

Drawn like the volunteers' certificate (``kepu.core.pdf``): the reader's own Chinese font, vector
QR code, nothing embedded or fetched.
"""

from __future__ import annotations

import segno
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor

from kepu.bases.models import Application, Level
from kepu.core.pdf import certificate_page

ACCENT = HexColor("#0b4ea2")


def qr_code(data: str) -> segno.QRCode:
    """The QR code printed on a certificate (one place makes it, so tests can read its payload)."""
    return segno.make(data, error="m")


def title_of(app: Application) -> str:
    return _("Beijing science base (city level)") if app.level == Level.CITY else _("Science base (district level)")


def certificate_pdf(app: Application, *, verify_url: str, issuer: str) -> bytes:
    """One A4 page: which base holds which title, for which term, issued by whom, and the QR code to check it."""
    base = app.base
    heading = _("Certificate of a science base")
    issued = f"{timezone.localtime(app.certified_at):%Y-%m-%d}"
    body = _("%(base)s is certified as a %(title)s for %(start)s to %(end)s.") % {
        "base": base.name,
        "title": title_of(app),
        "start": f"{app.term_start:%Y-%m-%d}",
        "end": f"{app.term_end:%Y-%m-%d}",
    }
    facts = [
        (_("Science base"), base.name),
        (_("Host organization"), base.organization.name),
        (_("Category"), str(base.get_category_display())),
        (_("Address"), base.address),
        (_("Level of the title"), str(app.get_level_display())),
        (_("Term of the title"), f"{app.term_start:%Y-%m-%d} — {app.term_end:%Y-%m-%d}"),
        (_("Certificate number"), app.certificate_number),
        (_("Date of issue"), issued),
    ]
    return certificate_page(
        heading=heading,
        title=f"{heading} {app.certificate_number}",
        body=body,
        facts=facts,
        qr=qr_code(verify_url),
        verify_url=verify_url,
        note=_("Scan the QR code or open this address to verify"),
        issuer=issuer,
        issued=issued,
        author=issuer or "kepu",
        accent=ACCENT,
    )
