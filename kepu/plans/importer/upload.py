"""One entry point for an uploaded file: pick the reader by name and decode text safely.

The web app receives bytes and a file name. Chinese government documents come
as .docx, or as text saved by Windows tools in GB18030/GBK rather than UTF-8,
so text is decoded by BOM first, then UTF-8, then GB18030, and a file that is
none of these is refused with a clear message instead of being read as
mojibake.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from .docx_reader import parse_docx
from .draft import PlanDraft
from .errors import UNDECODABLE_TEXT, UNSUPPORTED_FORMAT, PlanImportError
from .parser import parse_text

#: Suffixes read as plain text.
TEXT_SUFFIXES = (".txt", ".text", ".md")
#: Suffixes read as Word documents.
DOCX_SUFFIXES = (".docx",)


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
            return payload.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanImportError(
        UNDECODABLE_TEXT, "the text file is neither UTF-8 nor GB18030 (GBK); save it as UTF-8 and try again"
    )
