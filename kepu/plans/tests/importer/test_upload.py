"""Uploaded files: the reader is chosen by suffix, text is decoded safely."""

import io

import docx
import pytest

from kepu.plans.importer import PlanImportError, decode_text, parse_text, parse_upload

from .support import read_plan


def test_utf8_gbk_bom_and_utf16_text_read_the_same(xicheng):
    text = read_plan("xicheng_2020_work_plan.txt")
    for data in (
        text.encode("utf-8"),
        text.encode("gb18030"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("utf-16"),
    ):
        assert parse_upload(data, "西城区2020.TXT").to_dict() == xicheng.to_dict()


def test_docx_upload(miyun):
    document = docx.Document()
    for line in read_plan("miyun_2024_key_points.txt").splitlines():
        document.add_paragraph(line)
    stream = io.BytesIO()
    document.save(stream)
    assert parse_upload(stream.getvalue(), "plan.docx").to_dict() == miyun.to_dict()


@pytest.mark.parametrize("name", ["plan.doc", "plan.pdf", "plan", "plan.xlsx"])
def test_unsupported_formats(name):
    with pytest.raises(PlanImportError) as caught:
        parse_upload(b"whatever", name)
    assert caught.value.code == "unsupported_format"
    assert name in caught.value.message


def test_doc_gets_a_hint():
    with pytest.raises(PlanImportError) as caught:
        parse_upload(b"\xd0\xcf\x11\xe0", "旧计划.doc")
    assert ".docx" in caught.value.message


def test_undecodable_text():
    with pytest.raises(PlanImportError) as caught:
        decode_text(b"\xff\xff\xff\x80")
    assert caught.value.code == "undecodable_text"


def test_bad_bom():
    with pytest.raises(PlanImportError) as caught:
        parse_upload(b"\xef\xbb\xbf\xff\xfe\xfa", "plan.txt")
    assert caught.value.code == "undecodable_text"


def test_decoded_text_parses():
    assert parse_text(decode_text("计划\n1、做好工作。".encode("gbk"))).nodes[0].number == 1
