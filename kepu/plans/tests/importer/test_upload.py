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


#: A plan in traditional characters, as a Taiwan or Hong Kong tool would save it.
TRADITIONAL = (
    "2024年某區科普工作要點\n一、加強科普能力建設\n"
    "（一）開展健康科普進社區活動，全年組織健康講座不少於20場。（責任單位：區衛健委、區應急管理局、各街道）\n"
    "（二）做好防災減災宣傳，舉辦應急科普講座。（責任單位：區應急局）\n"
)


def test_big5_is_refused_not_read_as_gibberish():
    data = TRADITIONAL.encode("big5")
    data.decode("gb18030")  # the trap: the bytes are valid GB18030 too
    with pytest.raises(PlanImportError) as caught:
        parse_upload(data, "plan.txt")
    assert caught.value.code == "unsupported_encoding"
    assert "Big5" in caught.value.message


def test_traditional_characters_in_utf8_or_a_few_in_gbk_are_read():
    assert decode_text(TRADITIONAL.encode("utf-8")) == TRADITIONAL
    text = "2024年密云区科普工作要点\n一、加强科普能力建设，开展“科普進社區”活动。\n"
    assert decode_text(text.encode("gb18030")) == text
