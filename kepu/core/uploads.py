"""Checks every upload goes through before anything reads it: images by content, archives by size.

An image is believed only after Pillow has decoded its header and verified it, and only if it is a
JPEG, PNG or WebP of a bounded number of pixels (a 17 KB PNG can declare 144 megapixels and cost
gigabytes to decode). The stored name is ours (``<uuid>.<ext of the real format>``), never the
uploader's, so nothing they typed reaches a path or a Content-Type.

.xlsx and .docx files are zip archives: their entries are checked before a byte is inflated (count,
each entry's and the total uncompressed size, the compression ratio), so a zip bomb is refused
in microseconds instead of filling memory.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kepu.core.errors import DomainError

#: Image formats accepted, by Pillow's name: (extension stored, content type served).
IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: A 50-megapixel phone photo passes; a decompression bomb does not.
MAX_IMAGE_PIXELS = 50_000_000


class UploadError(DomainError):
    code = "upload_invalid"
    default_message = gettext_lazy("The file could not be accepted.")


@dataclass(frozen=True)
class CheckedImage:
    file: object
    format: str

    @property
    def extension(self) -> str:
        return IMAGE_FORMATS[self.format][0]

    def stored_name(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


def image_format(file, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS) -> str | None:
    """Pillow's name of the format if ``file`` really is an accepted image within the limits, else None."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        return None
    try:
        file.seek(0)
        with Image.open(file) as image:  # reads the header only
            fmt = image.format
            width, height = image.size
            if fmt not in IMAGE_FORMATS or width * height > max_pixels:
                return None
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    finally:
        file.seek(0)
    return fmt


def check_image(file, *, max_bytes: int = MAX_IMAGE_BYTES, code: str = "image_invalid") -> CheckedImage:
    """The image, checked; raises ``UploadError`` with a message the uploader understands."""
    fmt = image_format(file, max_bytes=max_bytes)
    if fmt is None:
        raise UploadError(
            _("Images must be JPEG, PNG or WebP files of at most %(mb)s MB and %(mp)s megapixels.")
            % {"mb": max_bytes // (1024 * 1024), "mp": MAX_IMAGE_PIXELS // 1_000_000},
            code=code,
        )
    return CheckedImage(file=file, format=fmt)


def check_zip(
    source,
    *,
    max_uncompressed: int,
    max_members: int = 2000,
    max_ratio: int = 200,
    code: str = "archive_too_large",
) -> None:
    """Refuse an archive whose declared contents are too many, too big or too compressed.

    The sizes come from the zip's central directory, which is what ``zipfile`` trusts when it
    inflates: an entry that inflates beyond its declared size fails there with ``BadZipFile``.
    """
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadError(_("The file is damaged or not of the expected kind."), code="archive_unreadable") from None
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > max_members or total > max_uncompressed or total > max_ratio * packed + 1_000_000:
        raise UploadError(
            _("The file unpacks to more than %(mb)s MB; split it into smaller files.")
            % {"mb": max_uncompressed // (1024 * 1024)},
            code=code,
        )
