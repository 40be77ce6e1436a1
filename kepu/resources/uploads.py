"""Checking uploaded files by what they contain, not by their name or the browser's word.

Images are opened with Pillow (and must decode, within a pixel cap); video, audio and PDF are
recognized by their first bytes (magic numbers); captions must be UTF-8 WebVTT. Each kind has a
size cap. The stored name is random and its extension follows the content found, so a file is
always served with the type it really has. Self-contained on purpose: it can give way to a shared
validator in kepu.core later (its checks are the same: content, size, pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kepu.core.errors import DomainError

MB = 1024 * 1024
#: Size caps per kind of content.
LIMITS = {"image": 10 * MB, "video": 500 * MB, "audio": 100 * MB, "pdf": 50 * MB, "vtt": 1 * MB}
#: Pixel cap for images (a "decompression bomb" is refused before it is decoded).
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}


class UploadRefused(DomainError):
    code = "upload_refused"
    default_message = _("This file cannot be used.")


@dataclass(frozen=True)
class Checked:
    kind: str  # image, video, audio, pdf, vtt
    content_type: str
    extension: str
    size: int


def sniff(head: bytes) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from a file's first bytes, or None when it is none we take."""
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf", ".pdf"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4", ".m4a"
        if brand in (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"):
            return "video", "video/mp4", ".mp4"
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm", ".webm"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg", ".ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "audio/mpeg", ".mp3"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio", "audio/wav", ".wav"
    if head.startswith(b"fLaC"):
        return "audio", "audio/flac", ".flac"
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        return "vtt", "text/vtt", ".vtt"
    return None


#: Which kinds of content each role of file accepts.
ACCEPTS = {
    "cover": {"image"},
    "image": {"image"},
    "media": {"video", "audio"},
    "captions": {"vtt"},
    "document": {"pdf"},
}

WANTED = {
    "cover": _("The cover must be a JPEG, PNG or WebP image."),
    "image": _("The image must be a JPEG, PNG or WebP image."),
    "media": _("The media file must be a video (MP4, WebM) or audio (MP3, M4A, Ogg, WAV, FLAC)."),
    "captions": _("Captions must be a WebVTT file (.vtt, starting with WEBVTT) in UTF-8."),
    "document": _("The document must be a PDF."),
}


def check_upload(upload, role: str) -> Checked:
    """Check ``upload`` (a Django ``UploadedFile``) for ``role``; raise ``UploadRefused`` with a clear message."""
    if upload is None or not getattr(upload, "size", 0):
        raise UploadRefused(_("Choose a file to upload."), data={"field": "upload"})
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    found = _image(upload) if role in ("cover", "image") else sniff(head)
    if found is None or found[0] not in ACCEPTS.get(role, set()):
        raise UploadRefused(
            WANTED.get(role, _("This file cannot be used.")), code="upload_type", data={"field": "upload"}
        )
    kind, content_type, extension = found
    if upload.size > LIMITS[kind]:
        raise UploadRefused(
            _("The file is too large: at most %(mb)s MB.") % {"mb": LIMITS[kind] // MB},
            code="upload_too_large",
            data={"field": "upload"},
        )
    if kind == "vtt":
        try:
            upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused(WANTED["captions"], code="upload_type", data={"field": "upload"}) from None
        finally:
            upload.seek(0)
    return Checked(kind, content_type, extension, upload.size)


def _image(upload):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as im:
            fmt = im.format
            if im.width * im.height > MAX_PIXELS:
                raise UploadRefused(
                    _("The image has too many pixels."), code="upload_too_large", data={"field": "upload"}
                )
            im.verify()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        return None
    return ("image", *IMAGE_FORMATS[fmt])
