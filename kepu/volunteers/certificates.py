"""The certificate of service hours as a PDF (志愿服务时长证明), with a QR code that verifies it.

Text is set in STSong-Light, one of the CJK fonts every PDF reader carries, so the file
embeds no font and nothing is fetched to make it. The QR code is drawn as vector squares
from segno's matrix, so it stays sharp when printed at any size.
"""

from __future__ import annotations

import segno
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib.colors import HexColor

from kepu.core.pdf import certificate_page
from kepu.volunteers.models import Certificate

ACCENT = HexColor("#b3261e")
MUTED = HexColor("#52606d")


def qr_code(data: str) -> segno.QRCode:
    """The QR code printed on a certificate (the one place that makes it, so tests can check its payload)."""
    return segno.make(data, error="m")


def certificate_pdf(cert: Certificate, *, verify_url: str) -> bytes:
    """One A4 page: who, how many hours, which stars, when, issued by whom, and the QR code to check it."""
    heading = _("Certificate of volunteer service hours")
    volunteer = cert.volunteer
    name = volunteer.real_name or _("Anonymized at the volunteer's request")
    hours = round(cert.minutes / 60, 1)
    body = _("This certifies that science volunteer %(name)s has served %(hours)s hours of volunteer service.") % {
        "name": name,
        "hours": hours,
    }
    if cert.period_start and cert.period_end:
        period = f"{cert.period_start:%Y-%m-%d} — {cert.period_end:%Y-%m-%d}"
    else:
        period = "—"
    stars = (
        ngettext("%(s)s-star volunteer", "%(s)s-star volunteer", cert.stars) % {"s": cert.stars}
        if cert.stars
        else _("No star level yet")
    )
    issued = f"{timezone.localtime(cert.issued_at):%Y-%m-%d}"
    facts = [
        (_("Name of the volunteer"), name),
        (_("ID number"), volunteer.masked_id_number or "—"),
        (_("Total hours"), f"{hours}"),
        (_("Star level"), stars),
        (_("Period of service"), period),
        (_("Issuing organization"), cert.organization.name if cert.organization_id else "—"),
        (_("Certificate number"), cert.number),
        (_("Date of issue"), issued),
    ]
    return certificate_page(
        heading=heading,
        title=f"{heading} {cert.number}",
        body=body,
        facts=facts,
        qr=qr_code(verify_url),
        verify_url=verify_url,
        note=_("Scan the QR code or open this address to verify"),
        issuer=cert.organization.name if cert.organization_id else "",
        issued=issued,
        author=cert.organization.name if cert.organization_id else "kepu",
        accent=ACCENT,
        muted=MUTED,
    )
