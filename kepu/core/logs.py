"""Logging filters: expected refusals are one line, not a traceback."""

import logging


class ExpectedRefusals(logging.Filter):
    """A 403 (a page not for this role) or a 404 (not found, or outside the actor's scope) is the
    permission layer doing its job: log the line, drop the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
