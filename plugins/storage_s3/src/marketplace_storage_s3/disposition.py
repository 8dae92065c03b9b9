"""``Content-Disposition: attachment`` values that survive any file name (RFC 6266)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Characters a quoted-string may not carry unescaped, plus controls (header injection).
_UNSAFE_IN_QUOTES = re.compile(r'[\x00-\x1f\x7f"\\]')


def attachment(filename: str) -> str:
    """A header value telling the browser to save the response as ``filename``.

    ASCII names give ``attachment; filename="name.pdf"``. Other names add the
    RFC 5987 form browsers prefer, ``filename*=UTF-8''<percent-encoded>``, after
    an ASCII approximation for old clients:
    ``attachment; filename="Uber.pdf"; filename*=UTF-8''%C3%9Cber.pdf``.
    The result is always plain ASCII without line breaks.
    """
    name = unicodedata.normalize("NFC", filename.strip()) or "download"
    fallback = _ascii_fallback(name)
    if name == fallback:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii_fallback(name: str) -> str:
    # "Übersicht.pdf" -> "Ubersicht.pdf": decompose, then drop what is not ASCII.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE_IN_QUOTES.sub("_", ascii_name).strip()
    stem_and_ext = ascii_name.rsplit(".", 1)
    if not ascii_name or not stem_and_ext[0].strip("._ "):
        # Nothing readable survived ("файл.pdf" -> ".pdf"): keep the extension.
        ext = "." + stem_and_ext[1] if len(stem_and_ext) == 2 and stem_and_ext[1] else ""
        return f"download{ext}"
    return ascii_name
