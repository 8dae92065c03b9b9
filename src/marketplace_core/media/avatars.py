"""A person's avatar from an upload: :func:`~marketplace_core.media.validation.validate_image`'s
checks, then a centred square at most :data:`AVATAR_SIZE` pixels wide.

For a profile form (an avatar field is the project's or the storefront's to add)::

    def clean_avatar(self):
        uploaded = self.cleaned_data.get("avatar")
        return avatar_image(uploaded).content if uploaded else None
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from marketplace_core.media.validation import STORED_EXTENSION, ValidatedImage, validate_image

#: The side of a stored avatar, in pixels (sharp at 128 CSS pixels on a 2x screen).
AVATAR_SIZE = 256


def avatar_image(uploaded: Any, *, size: int = AVATAR_SIZE) -> ValidatedImage:
    """``uploaded`` checked like any image (raises ``ValidationError`` with the same
    codes), cropped to its centred square and shrunk to ``size`` (never enlarged),
    without metadata, in its stored format (a transparent PNG stays a PNG)."""
    checked = validate_image(uploaded)
    with Image.open(checked.content) as picture:
        picture.load()
        side = min(picture.width, picture.height, size)
        square = ImageOps.fit(picture, (side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    square.save(buffer, format=checked.format, **({"quality": 88} if checked.format != "PNG"
                                                   else {"optimize": True}))
    name = f"avatar.{STORED_EXTENSION[checked.format]}"
    return ValidatedImage(content=ContentFile(buffer.getvalue(), name=name),
                          width=side, height=side, format=checked.format)
