"""A plan upload never stalls the platform: parsed outside any transaction, bounded, broken files refused."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from kepu.core.errors import DomainError
from kepu.core.testing.web import login
from kepu.plans import services
from kepu.plans.models import ImportDraft, Target
from kepu.plans.services import drafts
from kepu.plans.tests.factories import SAMPLE_PLAN
from kepu.plans.tests.test_building import _json

pytestmark = pytest.mark.django_db


def _docx(document_xml: str) -> bytes:
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            zf.writestr(item, document_xml if item.filename == "word/document.xml" else src.read(item))
    return out.getvalue()


def test_the_document_is_parsed_outside_any_transaction(world, as_actor, monkeypatch):
    seen = []
    real = drafts.parse_upload

    def spy(data, filename):
        seen.append(connection.in_atomic_block and not _only_the_tests_transaction())
        return real(data, filename)

    monkeypatch.setattr(drafts, "parse_upload", spy)
    draft = services.draft_create(actor=as_actor(world.a.admin), data=SAMPLE_PLAN.encode(), filename="p.txt")
    assert draft.pk and seen == [False]


def _only_the_tests_transaction() -> bool:
    # pytest-django wraps each test in one atomic block; anything deeper would be the service's.
    return len(connection.savepoint_ids) == 0


def test_a_docx_with_broken_xml_is_refused_with_a_message(client, world):
    login(client, world.a.admin)
    data = _docx("<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body><w:p>")
    response = client.post("/api/v1/plans/drafts", {"document": SimpleUploadedFile("plan.docx", data)})
    assert response.status_code == 400 and response.json()["code"] == "unreadable_document"
    assert not ImportDraft.objects.exists()


def test_a_docx_is_capped_like_text(world, as_actor, monkeypatch):
    from kepu.plans.importer import parser

    monkeypatch.setattr(parser, "MAX_INPUT_CHARS", 1000)
    body = "".join(f"<w:p><w:r><w:t>{i}. 开展科普讲座活动二十场</w:t></w:r></w:p>" for i in range(200))
    data = _docx(
        f"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body>{body}</w:body></w:document>"
    )
    called = []
    monkeypatch.setattr(drafts, "parse_upload", lambda *a: called.append(a))
    with pytest.raises(DomainError) as exc:
        services.draft_create(actor=as_actor(world.a.admin), data=data, filename="plan.docx")
    assert exc.value.code == "input_too_large" and called == []  # refused before the parser saw it


def test_a_docx_bomb_is_refused_before_it_is_unpacked(world, as_actor):
    huge = (
        "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body>"
        + ("<w:p/>" * 4_000_000)
        + "</w:body></w:document>"
    )
    data = _docx(huge)
    assert len(data) < 1_000_000
    with pytest.raises(DomainError) as exc:
        services.draft_create(actor=as_actor(world.a.admin), data=data, filename="plan.docx")
    assert exc.value.code == "input_too_large"


def test_a_bind_body_that_is_not_an_object_is_refused_and_unbinds_nothing(client, world):
    login(client, world.a.admin)
    plan = _json(client, "post", "/api/v1/plans/", {"title": "规划", "year": 2026}).json()
    task = _json(
        client, "post", f"/api/v1/plans/{plan['id']}/nodes", {"title": "讲座", "lead_unit_id": world.a.unit.pk}
    )
    target = _json(
        client,
        "post",
        f"/api/v1/plans/tasks/{task.json()['id']}/targets",
        {"label": "讲座", "quantity": "20", "unit_of_measure": "场"},
    ).json()["targets"][0]["id"]
    url = f"/api/v1/plans/targets/{target}/bind"
    assert _json(client, "post", url, {"measure": "people.volunteers"}).status_code == 200
    for body in ("false", "[]", "null", '"x"', "0"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code in (400, 422), body
        assert response["Content-Type"].startswith("application/json")
    assert Target.objects.get(pk=target).measure_key == "people.volunteers"
