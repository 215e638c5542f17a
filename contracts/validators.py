"""Checks on uploaded signed agreements: a scan (PDF) or a photo (JPEG, PNG), size-capped."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Extension → the magic bytes a real file of that type starts with.
AGREEMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
DEFAULT_AGREEMENT_MAX_BYTES = 10 * 1024 * 1024


def agreement_max_bytes() -> int:
    return int(getattr(settings, "CONTRACT_AGREEMENT_MAX_BYTES", DEFAULT_AGREEMENT_MAX_BYTES))


def validate_agreement_file(upload) -> None:
    """Refuse anything but a PDF, JPEG or PNG under the size cap, by content, not just name.

    A phone photo renamed to .pdf, or a Word file renamed to .jpg, is refused with a
    message that says what to upload instead.
    """
    if not upload:
        return
    name = getattr(upload, "name", "") or ""
    ext = os.path.splitext(name)[1].lower()
    if ext not in AGREEMENT_TYPES:
        raise ValidationError(
            _(
                "The signed agreement must be a PDF scan or a JPG/PNG photo; "
                "“%(name)s” is not one of these."
            )
            % {"name": os.path.basename(name)},
            code="agreement_type",
        )
    size = getattr(upload, "size", None)
    limit = agreement_max_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            _(
                "The signed agreement is %(size).1f MB; the limit is %(limit)d MB. "
                "Take the photo at a lower resolution or scan at 150 dpi."
            )
            % {"size": size / (1024 * 1024), "limit": limit // (1024 * 1024)},
            code="agreement_size",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(16) if hasattr(upload, "read") else b""
    if hasattr(upload, "seek"):
        upload.seek(0)
    if not any(head.startswith(magic) for magic in AGREEMENT_TYPES[ext]):
        raise ValidationError(
            _(
                "The file “%(name)s” is not really a %(type)s file (its content does not match "
                "its name). Upload the original scan or photo."
            )
            % {"name": os.path.basename(name), "type": ext.lstrip(".").upper()},
            code="agreement_content",
        )
