"""System checks of the product image settings (E060-E065), naming the bad setting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from marketplace_core.conf import DEFAULTS, conf

#: The positive-integer settings and their check ids.
_POSITIVE = {"IMAGE_MAX_BYTES": "marketplace_core.E060",
             "IMAGE_MAX_PIXELS": "marketplace_core.E061",
             "IMAGE_FALLBACK_WIDTH": "marketplace_core.E062",
             "GALLERY_MAX_IMAGES": "marketplace_core.E065"}


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@register(Tags.compatibility)
def check_image_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each limit a positive integer, the variant widths a non-empty list of them,
    ``MEDIA_STORAGE`` a string (an alias missing from ``STORAGES`` means ``default``)."""
    errors: list[CheckMessage] = []
    raw = conf.raw
    for key, check_id in _POSITIVE.items():
        value = raw.get(key, DEFAULTS[key])
        if not _is_positive_int(value):
            errors.append(Error(f"MARKETPLACE[{key!r}] must be a positive whole number, "
                                f"not {value!r}.", hint=f"The default is {DEFAULTS[key]!r}.",
                                id=check_id))
    widths = raw.get("IMAGE_VARIANT_WIDTHS", DEFAULTS["IMAGE_VARIANT_WIDTHS"])
    if (not isinstance(widths, list | tuple) or not widths
            or not all(_is_positive_int(width) for width in widths)):
        errors.append(Error(
            f"MARKETPLACE['IMAGE_VARIANT_WIDTHS'] must be a non-empty list of positive "
            f"whole numbers (pixels), not {widths!r}.",
            hint=f"The default is {DEFAULTS['IMAGE_VARIANT_WIDTHS']!r}.",
            id="marketplace_core.E063"))
    alias = raw.get("MEDIA_STORAGE", DEFAULTS["MEDIA_STORAGE"])
    if not isinstance(alias, str) or not alias:
        errors.append(Error(
            f"MARKETPLACE['MEDIA_STORAGE'] must name a STORAGES alias, not {alias!r}.",
            hint="Images then go to STORAGES['default']; see docs/media.md.",
            id="marketplace_core.E064"))
    elif alias not in getattr(settings, "STORAGES", {}) and "default" not in getattr(
            settings, "STORAGES", {"default": None}):
        errors.append(Error(
            f"MARKETPLACE['MEDIA_STORAGE'] is {alias!r}, which STORAGES does not define, "
            "and STORAGES has no 'default' to fall back to.",
            id="marketplace_core.E064"))
    return errors
