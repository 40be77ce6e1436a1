"""The certificate of hours: a PDF that says who served how long, and a QR code that verifies it on the platform."""

import io
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kepu.core.testing.web import login
from kepu.volunteers import certificates, services
from kepu.volunteers.models import Certificate
from kepu.volunteers.tests.factories import make_id_number, member_volunteer

pytestmark = pytest.mark.django_db


def _served(world, minutes_by_day):
    actor, v = member_volunteer(world.a.team, world.a.team_staff, real_name="王芳", id_number=make_id_number(4242))
    for i, (day, minutes) in enumerate(minutes_by_day):
        services.credit_hours(
            volunteer=v,
            organization=world.a.team,
            minutes=minutes,
            source="need",
            key=("need", 900 + i, v.pk),
            served_on=day,
        )
    return actor, v


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_the_download_is_a_pdf_with_the_facts_and_a_qr_code_for_the_verify_page(world, monkeypatch):
    actor, v = _served(world, [(date(2026, 3, 22), 90), (date(2026, 9, 20), 6030)])
    client = Client()
    login(client, actor)
    client.post(reverse("volunteers:certificate_issue"))
    cert = Certificate.objects.get()
    assert (cert.organization, cert.period_start, cert.period_end) == (
        world.a.team,
        date(2026, 3, 22),
        date(2026, 9, 20),
    )
    encoded = []
    real = certificates.qr_code
    monkeypatch.setattr(certificates, "qr_code", lambda data: encoded.append(data) or real(data))

    r = client.get(reverse("volunteers:certificate", args=[cert.number]) + "?download=1")

    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == f'attachment; filename="certificate-{cert.number}.pdf"'
    text = re.sub(r"\s+", "", _pdf_text(r.content))
    masked = v.masked_id_number
    assert masked.startswith("1101") and "*" in masked and v.id_number not in text
    for expected in (
        "志愿服务时长证明",
        "王芳",
        masked,
        "102.0",
        "1星级志愿者",
        "2026-03-22—2026-09-20",
        world.a.team.name,
        cert.number,
        f"{timezone.localtime(cert.issued_at):%Y-%m-%d}",  # the local date (it failed 00:00-08:00 Beijing)
    ):
        assert expected in text, expected
    verify_url = f"http://testserver/volunteers/verify/{cert.number}/"
    assert encoded == [verify_url]
    assert verify_url in text  # printed beside the code, for those who cannot scan

    anyone = Client()
    page = anyone.get(verify_url)
    assert page.status_code == 200 and "真实有效" in page.content.decode() and "102.0" in page.content.decode()
    forged = anyone.get(reverse("volunteers:verify", args=[cert.number[:-1] + "X"]))
    assert forged.status_code == 404 and "真实有效" not in forged.content.decode()
    assert "未发放" in forged.content.decode()


def test_the_qr_code_drawn_is_the_code_of_the_verify_address(world):
    """The dark squares of the PDF are exactly the modules segno makes for the address."""
    actor, v = _served(world, [(timezone.localdate() - timedelta(days=1), 120)])
    cert = services.certificate_issue(actor=actor, volunteer=v)
    url = f"https://kepu.example/volunteers/verify/{cert.number}/"
    reader = PdfReader(io.BytesIO(certificates.certificate_pdf(cert, verify_url=url)))
    stream = reader.pages[0].get_contents().get_data().decode("latin-1")
    squares = re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f", stream)
    matrix = list(certificates.qr_code(url).matrix)
    assert len(squares) == sum(sum(1 for dark in row if dark) for row in matrix)


def test_only_the_volunteer_downloads_their_certificate(world):
    actor, v = _served(world, [(timezone.localdate(), 60)])
    cert = services.certificate_issue(actor=actor, volunteer=v)
    other, _v2 = member_volunteer(world.b.team, world.b.team_staff)
    client = Client()
    login(client, other)
    assert client.get(reverse("volunteers:certificate", args=[cert.number]) + "?download=1").status_code == 404
    staff = Client()
    login(staff, world.a.team_staff)
    assert staff.get(reverse("volunteers:certificate", args=[cert.number]) + "?download=1").status_code == 404
