"""Photos of a delivered service: decoded (never trusted by name), size-checked, stored under our own names."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext as _

from kepu.core.errors import DomainError
from kepu.core.uploads import IMAGE_FORMATS, image_format

MAX_PHOTOS, MAX_PHOTO_BYTES = 6, 5 * 1024 * 1024
#: What Pillow calls the formats a phone takes or a page shows, and the extension stored (shared with every upload).
PHOTO_FORMATS = IMAGE_FORMATS


class PhotoError(DomainError):
    code = "photo_invalid"


def photo_format(photo) -> str | None:
    """The format if ``photo`` really is a JPEG, PNG or WebP image of bounded size (decoded, not trusted by name)."""
    return image_format(photo, max_bytes=MAX_PHOTO_BYTES)


def check(photos, already: int = 0) -> list:
    """[(file, format)]; refuses the lot if any one is not a photo, too big, or one too many."""
    photos = [p for p in (photos or []) if p]
    if already + len(photos) > MAX_PHOTOS:
        raise PhotoError(
            _("At most 6 photos per order (%(left)s more can be added).") % {"left": max(0, MAX_PHOTOS - already)},
            code="photos_too_many",
        )
    out = []
    for photo in photos:
        fmt = photo_format(photo) if photo.size <= MAX_PHOTO_BYTES else None
        if fmt is None:
            raise PhotoError(_("Photos must be JPEG, PNG or WebP images of at most 5 MB."))
        out.append((photo, fmt))
    return out


def store(order, photos: list, user) -> list:
    from django.core.files.base import File

    from kepu.orders.models import OrderPhoto

    saved = []
    for photo, fmt in photos:
        # The name is ours, not the uploader's: nothing of it reaches a path or a page.
        name = f"{uuid.uuid4().hex}.{PHOTO_FORMATS[fmt][0]}"
        row = OrderPhoto(order=order, uploaded_by=user)
        row.image.save(name, File(photo), save=False)
        row.save()
        saved.append(row)
    return saved


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos in one field; cleaned to ``[(file, format)]``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else ([data] if data else [])
        try:
            return check(files)
        except PhotoError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None
