"""The one error type the importer raises, with stable codes.

The web app shows ``message`` to the person who uploaded the document and
branches on ``code`` (never on the message text), so codes are part of the
public contract: add new ones, never rename them.
"""

from __future__ import annotations

#: Input was empty or whitespace only.
EMPTY_INPUT = "empty_input"
#: Input had text but no numbered headings or tasks: probably not a work plan.
NOT_A_PLAN = "not_a_plan"
#: A .docx (or other file) could not be opened or read.
UNREADABLE_DOCUMENT = "unreadable_document"
#: Bytes could not be decoded as UTF-8 / GB18030 text.
UNDECODABLE_TEXT = "undecodable_text"
#: Input is larger than the importer accepts (a plan is a few pages, not a book).
INPUT_TOO_LARGE = "input_too_large"
#: A serialized draft (JSON dict) did not have the expected shape.
INVALID_DRAFT = "invalid_draft"
#: File type the importer does not read.
UNSUPPORTED_FORMAT = "unsupported_format"
#: More numbered parts than a plan has (see parser.MAX_NODES).
TOO_MANY_PARTS = "too_many_parts"
#: Text in an encoding the importer recognizes but does not read (Big5, traditional Chinese).
UNSUPPORTED_ENCODING = "unsupported_encoding"

ERROR_CODES = frozenset(
    {
        EMPTY_INPUT,
        NOT_A_PLAN,
        UNREADABLE_DOCUMENT,
        UNDECODABLE_TEXT,
        INPUT_TOO_LARGE,
        INVALID_DRAFT,
        UNSUPPORTED_FORMAT,
        TOO_MANY_PARTS,
        UNSUPPORTED_ENCODING,
    }
)


class PlanImportError(ValueError):
    """A plan document could not be turned into a draft.

    Subclasses ``ValueError`` so generic callers that catch bad input still
    work; ``code`` is one of :data:`ERROR_CODES`.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown PlanImportError code: {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"
