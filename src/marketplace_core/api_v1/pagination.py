"""Cursor pagination of the API's lists: opaque, signed cursors, stable under inserts.

A list is ordered newest first by a time field, then by id (both descending).
The cursor is the last item's ``(time, id)``, signed with the site's
``SECRET_KEY``, so a client can neither forge nor decode-and-edit one; rows
inserted meanwhile never shift a page. Each page reads ``limit + 1`` rows: the
extra one says whether there is a next page.

Plugins use it for their own lists::

    from marketplace_core.api_v1.pagination import CursorParams, page, page_schema

    ThingPage = page_schema(ThingOut, "ThingPage")

    @router.get("/things", response={200: ThingPage, **ERROR_RESPONSES})
    def list_things(request, params: Query[CursorParams]):
        return page(Thing.objects.filter(seller=request.auth.seller), params)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from ninja import Field, Schema
from pydantic import create_model

from marketplace_core.api_auth import ApiError

_SALT = "marketplace_core.api_v1.cursor"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class CursorParams(Schema):
    cursor: str | None = Field(None, description="``next_cursor`` of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


def page_schema(item: type[Any], name: str) -> type[Schema]:
    """The schema of a page of ``item``: ``{"items": [...], "next_cursor": str | null}``."""
    return create_model(name, __base__=Schema, items=(list[item], ...),  # type: ignore[valid-type]
                        next_cursor=(str | None, None))


def _encode(moment: dt.datetime, pk: int) -> str:
    return signing.dumps([moment.isoformat(), pk], salt=_SALT, compress=True)


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        moment_text, pk = signing.loads(cursor, salt=_SALT)
        moment = parse_datetime(moment_text)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise ApiError(400, "This cursor is not valid; start again without one.",
                       "invalid_cursor") from exc
    if moment is None or not isinstance(pk, int):
        raise ApiError(400, "This cursor is not valid; start again without one.",
                       "invalid_cursor")
    return moment, pk


def page(queryset: QuerySet[Any], params: CursorParams, *, time_field: str = "created_at",
         pk_field: str = "pk", rows: Callable[[list[Any]], Iterable[Any]] | None = None
         ) -> dict[str, Any]:
    """One page of ``queryset`` newest first by ``time_field`` then ``pk_field``.

    ``rows`` turns the page's objects into its items (for extra queries done once
    per page); by default the objects themselves. Raises :class:`ApiError`
    (400, ``invalid_cursor``) for a cursor this site did not make.
    """
    queryset = queryset.order_by(f"-{time_field}", f"-{pk_field}")
    if params.cursor:
        moment, pk = _decode(params.cursor)
        queryset = queryset.filter(Q(**{f"{time_field}__lt": moment})
                                   | Q(**{time_field: moment, f"{pk_field}__lt": pk}))
    found = list(queryset[: params.limit + 1])
    objects = found[: params.limit]
    next_cursor = None
    if len(found) > params.limit:
        last = objects[-1]
        next_cursor = _encode(getattr(last, time_field), getattr(last, pk_field))
    items = list(rows(objects)) if rows is not None else objects
    return {"items": items, "next_cursor": next_cursor}


#: A row id in a path, query or body: larger numbers are refused with a 422 before any
#: query (SQLite and PostgreSQL keys are signed 64-bit).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
