"""Properties of core's upload names (``marketplace_core.storage.uploads``) over
any name a browser may send: the rules every storage backend relies on."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, example, given
from hypothesis import strategies as st

from marketplace_core.storage.uploads import (
    KEY_OVERHEAD_BYTES,
    clean_file_name,
    name_budget,
    new_product_key,
)

SAFE = re.compile(r"(?u)[-\w.]+")


@given(sent=st.text(), budget=st.integers(min_value=12, max_value=400))
@example(sent="é" * 130 + ".pdf", budget=255)
@example(sent="😀.zip", budget=255)
@example(sent="a" * 1000 + ".pdf", budget=255)
@example(sent="\u1100\u1161\u11a8" * 200, budget=255)  # Hangul jamo that NFC composes
def test_a_clean_name_is_safe_fits_its_budget_and_stays_clean(sent, budget):
    name = clean_file_name(sent, budget)

    assert SAFE.fullmatch(name), name
    assert not name.startswith(".")
    assert len(name.encode("utf-8")) <= budget
    assert unicodedata.is_normalized("NFC", name)
    assert clean_file_name(name, budget) == name


def visible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


@given(stem=st.text(min_size=1), extension=st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True))
@example(stem="😀", extension="zip")
def test_a_short_extension_survives_whatever_the_stem(stem, extension):
    """...unless the name is a folder or a dotfile (``.zip`` is named "zip")."""
    assume("/" not in stem and "\\" not in stem and visible(stem)[:1] not in ("", "."))

    name = clean_file_name(f"{stem}.{extension}", 255)

    assert name.endswith(f".{extension}")
    assert name != f".{extension}" and len(name) > len(extension) + 1


def test_the_budget_leaves_room_for_the_key_prefix():
    key = new_product_key("x" * name_budget(max_key_bytes=280, max_segment_bytes=255))

    assert len("products/") + 32 + 1 == KEY_OVERHEAD_BYTES
    assert len(key.encode()) == 280
    assert name_budget(max_key_bytes=1024, max_segment_bytes=255) == 255
