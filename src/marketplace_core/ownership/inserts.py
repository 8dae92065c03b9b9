"""Insert a row unless a unique constraint already holds one: one statement, no savepoint.

``Model.objects.create`` inside ``transaction.atomic`` plus ``except IntegrityError``
costs four statements (SAVEPOINT, INSERT, RELEASE, and a ROLLBACK TO on a
conflict); webhook ingest does it for every delivery and payment. PostgreSQL and
SQLite (3.35+) say it in one: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``.
A concurrent insert of the same key waits for the other transaction and then
returns no row, exactly like the savepoint version raising ``IntegrityError``.
"""

from __future__ import annotations

from django.db import IntegrityError, connections, models, router, transaction


def _fields(obj: models.Model) -> list[models.Field]:
    pk = obj._meta.pk
    return [
        field for field in obj._meta.concrete_fields
        if not (field is pk and getattr(field, "db_returning", False) and obj.pk is None)
        and not getattr(field, "generated", False)
    ]


def insert_once(obj: models.Model, *, using: str | None = None) -> bool:
    """Insert unsaved ``obj``; ``False`` (and ``obj`` still unsaved) when a row with
    one of its unique values exists, or is being inserted by a transaction that
    then commits. Joins the caller's transaction. ``pre_save`` runs
    (``auto_now_add`` fields are set); model signals are not sent.
    """
    db = using or router.db_for_write(type(obj), instance=obj)
    connection = connections[db]
    features = connection.features
    if not (features.supports_ignore_conflicts and features.can_return_columns_from_insert
            and connection.vendor in ("postgresql", "sqlite")):
        try:
            with transaction.atomic(using=db):
                obj.save(force_insert=True, using=db)
        except IntegrityError:
            obj.pk = None
            return False
        return True
    quote = connection.ops.quote_name
    fields = _fields(obj)
    values = [field.get_db_prep_save(field.pre_save(obj, add=True), connection)
              for field in fields]
    pk = obj._meta.pk
    assert pk is not None and pk.column is not None
    # Identifiers from the model's metadata, quoted; the values are bound parameters.
    table, pk_column = quote(obj._meta.db_table), quote(pk.column)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {pk_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = pk.to_python(row[0])
    obj._state.adding = False
    obj._state.db = db
    return True
