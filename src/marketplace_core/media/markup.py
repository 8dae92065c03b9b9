"""The HTML of a stored image: ``<picture>`` with WebP ``srcset`` once variants exist,
the original until then; always ``width``/``height`` (no layout shift) and ``alt``.

Built in Python, one call per image: a product card stays one template node.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from marketplace_core.media.storage import media_storage

#: ``sizes`` of a product card's cover: a grid column, the full width on a phone.
CARD_SIZES = "(max-width: 40rem) 100vw, 20rem"
#: ``sizes`` of the main image on a product page.
PAGE_SIZES = "(max-width: 50rem) 100vw, 48rem"


def image_html(name: str, *, width: int | None, height: int | None, variants: Any,
               alt: str, sizes: str, lazy: bool, css_class: str = "") -> SafeString:
    """``<picture>``/``<img>`` for stored image ``name`` (see the module docstring).

    ``lazy`` adds ``loading="lazy"`` (never for the first image a page shows);
    the first gets ``fetchpriority="high"`` instead.
    """
    storage = media_storage()
    loading = ' loading="lazy" decoding="async"' if lazy else ' fetchpriority="high"'
    size = (format_html(' width="{}" height="{}"', width, height)
            if width and height else "")
    classes = format_html(' class="{}"', css_class) if css_class else ""
    webp = (variants or {}).get("webp") or []
    fallback = (variants or {}).get("fallback")
    src = storage.url(fallback[1] if fallback else name)
    img = format_html('<img src="{}" alt="{}"{}{}{}>', src, alt, size, classes,
                      mark_safe(loading))  # noqa: S308 (a constant of this function)
    if not webp:
        return img
    srcset = ", ".join(f"{escape(storage.url(variant))} {int(w)}w" for w, variant in webp)
    return format_html('<picture><source type="image/webp" srcset="{}" sizes="{}">{}</picture>',
                       mark_safe(srcset), sizes, img)  # noqa: S308 (URLs escaped above)


def placeholder_html(title: str, css_class: str) -> SafeString:
    """The box shown instead of a missing image: the title's first letter on a
    tinted background, all CSS (no request)."""
    initial = (title.strip()[:1] or "?").upper()
    return format_html('<div class="{} image-placeholder" aria-hidden="true"><span>{}</span>'
                       "</div>", css_class, initial)
