"""Product images in templates (``{% load marketplace_media %}``).

- ``{% product_cover product %}``: a card's cover (lazy), or a CSS placeholder.
- ``{% cover_image product %}`` and ``{% gallery_image image lazy=False %}``
  for a product page (see ``catalog/_product_gallery.html``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from marketplace_core.media.markup import (
    CARD_SIZES,
    PAGE_SIZES,
    image_html,
    placeholder_html,
)

register = template.Library()


@register.simple_tag
def product_cover(product: Any, sizes: str = CARD_SIZES, lazy: bool = True) -> SafeString:
    """A card's cover: ``alt=""`` because the product's title is the card's heading
    right after it (a screen reader would read it twice)."""
    if not product.cover_image:
        return placeholder_html(product.title, "cover")
    return image_html(product.cover_image.name, width=product.cover_width,
                      height=product.cover_height, variants=product.cover_variants,
                      alt="", sizes=sizes, lazy=lazy, css_class="cover")


@register.simple_tag
def cover_image(product: Any, sizes: str = PAGE_SIZES, lazy: bool = False,
                css_class: str = "", decorative: bool = False) -> SafeString:
    """A product's cover on its page, described by the product's title (``alt=""``
    when ``decorative``: a thumbnail inside a link that has its own text)."""
    return image_html(product.cover_image.name, width=product.cover_width,
                      height=product.cover_height, variants=product.cover_variants,
                      alt="" if decorative else product.title, sizes=sizes, lazy=lazy,
                      css_class=css_class)


@register.simple_tag
def gallery_image(image: Any, sizes: str = PAGE_SIZES, lazy: bool = True,
                  css_class: str = "", alt: str = "", decorative: bool = False) -> SafeString:
    """A gallery image, described by its own text (else ``alt``; ``""`` when
    ``decorative``)."""
    return image_html(image.image.name, width=image.width, height=image.height,
                      variants=image.variants,
                      alt="" if decorative else (image.alt_text or alt), sizes=sizes,
                      lazy=lazy, css_class=css_class)
