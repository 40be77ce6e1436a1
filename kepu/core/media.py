"""Uploaded files, served by the app through a view that asks the owning app who may see each one.

Nothing under MEDIA_ROOT is served as a directory (not by the demo server, not by the web server in
front): an app registers the folder its model uploads to with a function that says whether this
request may read this file (``register_media("activities/", readable)``). The answer carries the
type named by the file's checked extension, never a guess from its content, with ``nosniff`` and a
sandboxing Content-Security-Policy, so an uploaded file can never run as a page of the site.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

#: Types a stored file may be served as; anything else is downloaded as bytes.
SAFE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}

_readers: dict[str, Callable] = {}


def register_media(prefix: str, readable: Callable) -> None:
    """Files under ``prefix`` are served when ``readable(request, name)`` is true (``name`` as stored)."""
    _readers[prefix.rstrip("/") + "/"] = readable


def _reader_for(name: str):
    best = max((p for p in _readers if name.startswith(p)), key=len, default=None)
    return _readers.get(best) if best else None


def serve(request, path: str):
    name = posixpath.normpath(path).lstrip("/")
    if name.startswith("..") or name != path or "\\" in name:
        raise Http404
    readable = _reader_for(name)
    if readable is None or not readable(request, name) or not default_storage.exists(name):
        raise Http404
    ext = posixpath.splitext(name)[1].lower()
    content_type = SAFE_TYPES.get(ext)
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type or "application/octet-stream",
        as_attachment=content_type is None,
        filename=posixpath.basename(name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
