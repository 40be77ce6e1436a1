"""Files people upload to a base: photos (decoded, never trusted by name) and application materials.

Kept here until the shared upload validator in kepu/core lands; then these checks move there.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.files.base import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kepu.core.errors import DomainError

MAX_PHOTOS, MAX_BYTES = 6, 8 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf"}


class UploadError(DomainError):
    code = "upload_invalid"


def image_format(upload) -> str | None:
    """ "jpg", "png" or "webp" if the file really is such an image (decoded with Pillow)."""
    from PIL import Image, UnidentifiedImageError

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return IMAGE_FORMATS.get(fmt)


def material_format(upload) -> str | None:
    """ "pdf" for a PDF (by its header), else the image format, else None."""
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return "pdf"
    return image_format(upload)


def check_photos(uploads, already: int = 0) -> list[tuple]:
    """[(file, extension)]; refuses the lot if one is not a photo, is too big, or is one too many."""
    uploads = [u for u in (uploads or []) if u]
    if already + len(uploads) > MAX_PHOTOS:
        raise UploadError(_("At most 6 photos (%(left)s more can be added).") % {"left": max(0, MAX_PHOTOS - already)})
    out = []
    for upload in uploads:
        ext = image_format(upload) if upload.size <= MAX_BYTES else None
        if ext is None:
            raise UploadError(_("Photos must be JPEG, PNG or WebP images of at most 8 MB."))
        out.append((upload, ext))
    return out


def check_material(upload) -> str:
    ext = material_format(upload) if upload is not None and upload.size <= MAX_BYTES * 2 else None
    if ext is None:
        raise UploadError(_("Materials must be PDF files or JPEG, PNG or WebP images of at most 16 MB."))
    return ext


def save_as(field_file, upload, ext: str) -> None:
    """Store ``upload`` under a name of ours (nothing of the uploader's name reaches a path)."""
    field_file.save(f"{uuid.uuid4().hex}.{ext}", File(upload), save=False)


def content_type(name: str) -> str:
    return TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos in one field; cleaned to ``[(file, extension)]``."""

    default_error_messages = {"invalid": gettext_lazy("Photos must be JPEG, PNG or WebP images of at most 8 MB.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        try:
            return check_photos(files)
        except UploadError as exc:
            raise forms.ValidationError(str(exc.message), code="photo_invalid") from None
