"""One entry point for an uploaded file: pick the reader by name and decode text safely.

The web app receives bytes and a file name. Chinese government documents come
as .docx, or as text saved by Windows tools in GB18030/GBK rather than UTF-8,
so text is decoded by BOM first, then UTF-8, then GB18030, and a file that is
none of these is refused with a clear message instead of being read as
mojibake.

Big5 (traditional Chinese, from Taiwan or Hong Kong tools) is the trap: its
bytes are almost always valid GB18030 too, and decode to rare characters.
Text of a simplified-Chinese plan is made of common characters (nearly all in
GB2312); when too few are, and the bytes read as Big5, the file is refused
as Big5 rather than shown as gibberish.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from .docx_reader import parse_docx
from .draft import PlanDraft
from .errors import UNDECODABLE_TEXT, UNSUPPORTED_ENCODING, UNSUPPORTED_FORMAT, PlanImportError
from .parser import parse_text

#: Suffixes read as plain text.
TEXT_SUFFIXES = (".txt", ".text", ".md")
#: Suffixes read as Word documents.
DOCX_SUFFIXES = (".docx",)
#: Share of Chinese characters a simplified-Chinese text has in GB2312 (the common characters); real plans
#: are above 0.99, Big5 bytes read as GB18030 around 0.6.
COMMON_SHARE = 0.9


def parse_upload(data: bytes, filename: str) -> PlanDraft:
    """Parse an uploaded plan from its bytes, choosing the reader by ``filename``'s suffix.

    Raises :class:`PlanImportError`: ``unsupported_format`` for other suffixes
    (an old binary .doc, a PDF), ``undecodable_text`` for text in an unknown
    encoding, and whatever the reader raises.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in DOCX_SUFFIXES:
        return parse_docx(io.BytesIO(data))
    if suffix in TEXT_SUFFIXES:
        return parse_text(decode_text(data))
    hint = " Save it as .docx first." if suffix in (".doc", ".wps", ".pdf", ".rtf", ".odt") else ""
    raise PlanImportError(
        UNSUPPORTED_FORMAT,
        f"“{filename}” cannot be imported: plans are read from .docx or .txt files.{hint}",
    )


def decode_text(data: bytes) -> str:
    """Decode text bytes: a BOM decides; otherwise UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        attempts = [(data[3:], "utf-8")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = [(data, "utf-16")]
    else:
        attempts = [(data, "utf-8"), (data, "gb18030")]
    for payload, encoding in attempts:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and _common_share(text) < COMMON_SHARE and _reads_as_big5(data):
            raise PlanImportError(
                UNSUPPORTED_ENCODING,
                "the text file looks like Big5 (traditional Chinese); save it as UTF-8 and try again",
            )
        return text
    raise PlanImportError(
        UNDECODABLE_TEXT, "the text file is neither UTF-8 nor GB18030 (GBK); save it as UTF-8 and try again"
    )


def _common_share(text: str) -> float:
    """Share of the Chinese characters in ``text`` that are common ones (in GB2312); 1.0 without any."""
    chinese = [ch for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"]
    if not chinese:
        return 1.0
    common = 0
    for ch in chinese:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(chinese)


def _reads_as_big5(data: bytes) -> bool:
    """Whether the bytes decode as Big5 without error."""
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    return True
