"""``Content-Disposition`` values for presigned links (RFC 6266, RFC 5987)."""

from __future__ import annotations

import pytest
from marketplace_storage_s3.disposition import attachment


@pytest.mark.parametrize(("name", "header"), [
    ("guide.pdf", 'attachment; filename="guide.pdf"'),
    ("Field_Guide_v2.tar.gz", 'attachment; filename="Field_Guide_v2.tar.gz"'),
    ("Übersicht.pdf",
     "attachment; filename=\"Ubersicht.pdf\"; filename*=UTF-8''%C3%9Cbersicht.pdf"),
    ("отчёт.pdf",
     "attachment; filename=\"download.pdf\"; "
     "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"),
    ("报告", "attachment; filename=\"download\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A"),
    ("", 'attachment; filename="download"'),
])
def test_attachment(name, header):
    assert attachment(name) == header


@pytest.mark.parametrize("name", ['say "hi".txt', "back\\slash.txt", "crlf\r\nSet-Cookie: x=1"])
def test_quotes_backslashes_and_line_breaks_cannot_break_out_of_the_header(name):
    value = attachment(name)
    assert value.isascii()
    assert "\r" not in value and "\n" not in value
    quoted = value.split('filename="', 1)[1].split('"', 1)[0]
    assert "\\" not in quoted
    assert value.startswith("attachment; filename=") and value.count('"') == 2
