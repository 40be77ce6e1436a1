"""Logging: expected refusals are one line, not a traceback; JSON lines with the request's id when asked for."""

import contextvars
import json
import logging
from datetime import UTC, datetime


class ExpectedRefusals(logging.Filter):
    """A 403 (a page not for this role) or a 404 (not found, or outside the actor's scope) is the
    permission layer doing its job: log the line, drop the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True


# --- Structured logs ------------------------------------------------------------------------------------------

#: The id of the request being served (set by ``RequestLogMiddleware``), for every line logged while serving it.
request_id = contextvars.ContextVar("kepu_request_id", default="")

#: What a request's line carries besides the message (see ``RequestLogMiddleware``).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "db_queries", "db_ms")


class RequestId(logging.Filter):
    """Stamp every record with the id of the request it was logged under (empty outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # django.request writes its line after the middleware has returned: the request carries the id then.
            record.request_id = getattr(getattr(record, "request", None), "request_id", "") or request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request's fields if any,
    and the traceback as one string. Query strings are never logged (a search may hold a phone number)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", ""):
            entry["request_id"] = record.request_id
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if "status" not in entry and isinstance(getattr(record, "status_code", None), int):
            entry["status"] = record.status_code  # django.request's own lines
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
