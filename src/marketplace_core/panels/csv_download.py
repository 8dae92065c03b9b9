"""CSV files streamed to the browser with constant memory.

:func:`csv_download` writes each row with :mod:`csv` into a one-line buffer and
hands the line to a ``StreamingHttpResponse``, so nothing but the current
chunk of rows is held. The file is UTF-8 with a byte order mark (Excel reads
UTF-8 only with it; other tools skip it) and CRLF line ends (RFC 4180).

Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return, per OWASP's "CSV injection")
are prefixed with ``'``. Numbers the export itself writes are not text and are
left as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

BOM = "\ufeff"
#: Lines are sent in pieces of about this many characters (fewer, larger writes).
PIECE = 64 * 1024
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: Any) -> Any:
    """``cell`` unchanged, unless it is text a spreadsheet would evaluate: then ``'`` + it."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class _Line:
    """A file-like object whose ``write`` returns what it was given (for ``csv.writer``)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file's text, a line at a time: the BOM with the header, then each row."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])


def _pieces(lines: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= PIECE:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def csv_download(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """A streamed ``text/csv`` attachment named ``filename``, never cached."""
    response = StreamingHttpResponse(
        _pieces(csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
