"""The HTML of a stored image: ``<picture>`` with WebP ``srcset`` once variants exist,
the original until then; always ``width``/``height`` (no layout shift) and ``alt``.

Built in Python, one call per image: a product card stays one template node.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.core.files.storage import Storage
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from marketplace_core.media.storage import media_storage

#: ``sizes`` of a product card's cover: a grid column, the full width on a phone.
CARD_SIZES = "(max-width: 40rem) 100vw, 20rem"
#: ``sizes`` of the main image on a product page.
PAGE_SIZES = "(max-width: 50rem) 100vw, 48rem"


#: Names that need no quoting and join a URL prefix plainly (every name core makes:
#: ``covers/<hex>.w640.webp``).
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-][A-Za-z0-9._-]*")
_PROBE = "covers/probe.w1.webp"


@functools.lru_cache(maxsize=8)
def _url_prefix(storage: Storage, base_url: Any) -> str | None:
    """What ``storage.url()`` puts before a plain name, when its URLs are just that
    (local files, public S3); ``None`` for storages whose URLs differ (signed links).
    ``base_url`` is in the key: a ``FileSystemStorage`` follows ``MEDIA_URL`` changes."""
    url = storage.url(_PROBE)
    return escape(url[: -len(_PROBE)]) if url.endswith(_PROBE) and "?" not in url else None


def _urls(storage: Storage) -> Callable[[str], str]:
    """A function from a stored name to its escaped URL: the prefix and the name for
    plain names (a card asks for five; ``urljoin`` each time cost more than the rest
    of the card), ``storage.url()`` otherwise."""
    prefix = _url_prefix(storage, getattr(storage, "base_url", None))

    def url(name: str) -> str:
        if prefix is not None and _PLAIN_NAME.fullmatch(name):
            return prefix + name
        return escape(storage.url(name))

    return url


def image_html(name: str, *, width: int | None, height: int | None, variants: Any,
               alt: str, sizes: str, lazy: bool, css_class: str = "") -> SafeString:
    """``<picture>``/``<img>`` for stored image ``name`` (see the module docstring).

    ``lazy`` adds ``loading="lazy"`` (never for the first image a page shows);
    the first gets ``fetchpriority="high"`` instead. Plain string work (no
    ``format_html``): 24 cards call it on every catalog page.
    """
    url = _urls(media_storage().resolved())
    loading = ' loading="lazy" decoding="async"' if lazy else ' fetchpriority="high"'
    size = f' width="{int(width)}" height="{int(height)}"' if width and height else ""
    classes = f' class="{escape(css_class)}"' if css_class else ""
    webp = (variants or {}).get("webp") or []
    fallback = (variants or {}).get("fallback")
    src = url(fallback[1] if fallback else name)
    img = f'<img src="{src}" alt="{escape(alt)}"{size}{classes}{loading}>'
    if not webp:
        return mark_safe(img)  # noqa: S308 (every value escaped above)
    srcset = ", ".join(f"{url(variant)} {int(w)}w" for w, variant in webp)
    return mark_safe(  # noqa: S308 (every value escaped)
        f'<picture><source type="image/webp" srcset="{srcset}" sizes="{escape(sizes)}">'
        f"{img}</picture>")


def placeholder_html(title: str, css_class: str) -> SafeString:
    """The box shown instead of a missing image: the title's first letter on a
    tinted background, all CSS (no request)."""
    initial = escape((title.strip()[:1] or "?").upper())
    return mark_safe(  # noqa: S308 (escaped)
        f'<div class="{escape(css_class)} image-placeholder" aria-hidden="true">'
        f"<span>{initial}</span></div>")
