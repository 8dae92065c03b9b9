"""Cover pictures for the demo shop, drawn with Pillow: the product's title on a
colour of its category, with a few simple shapes. Deterministic (the same title and
category always give the same bytes) and quick (a few milliseconds each)."""

from __future__ import annotations

import io
import random
import textwrap
import zlib
from functools import cache

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from marketplace_core.media.validation import ValidatedImage

#: 16:9, large enough for the 320/640 variants and a sharp product page.
SIZE = (960, 540)
#: Background and shape colours per category (picked by a stable hash of its name).
PALETTES = [
    ((59, 91, 219), (116, 143, 252)),
    ((12, 133, 110), (56, 217, 169)),
    ((230, 119, 0), (255, 192, 120)),
    ((174, 62, 201), (218, 119, 242)),
    ((201, 42, 42), (255, 135, 135)),
    ((24, 100, 171), (77, 171, 247)),
    ((43, 138, 62), (140, 233, 154)),
    ((73, 80, 87), (173, 181, 189)),
]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own scalable font (needs FreeType; else its small bitmap font)."""
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError, TypeError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def draw_cover(title: str, category: str) -> ValidatedImage:
    """A JPEG cover for a product called ``title`` in ``category``."""
    background, accent = PALETTES[zlib.crc32(category.encode()) % len(PALETTES)]
    rng = random.Random(zlib.crc32(title.encode()))
    picture = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(picture)
    width, height = SIZE
    for _ in range(4):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(60, 220)
        box = (x - radius, y - radius, x + radius, y + radius)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=accent)
        else:
            draw.rectangle(box, fill=accent)
    # Big type: a card shows the cover about a quarter of this size.
    lines = textwrap.wrap(title, width=18)[:2]
    band = 100 + 96 * len(lines)
    draw.rectangle((0, height - band, width, height), fill=background)
    draw.text((56, height - band + 24), category.upper(), font=_font(44), fill=(255, 255, 255))
    draw.multiline_text((56, height - band + 80), "\n".join(lines), font=_font(84),
                        fill=(255, 255, 255), spacing=12)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return ValidatedImage(content=ContentFile(buffer.getvalue(), name="cover.jpg"),
                          width=width, height=height, format="JPEG")
