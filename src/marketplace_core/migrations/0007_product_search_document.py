# Written by hand (no model change): PostgreSQL's search document as a stored column.
"""PostgreSQL: the weighted search document stored in the product row.

``search_document`` is a generated column (``tsvector``, ``STORED``), computed by
PostgreSQL on every insert and update from the title (weight A), category names
(B) and description (C); the GIN index ``marketplace_product_search`` now covers
the column instead of the expression. Ranking a match (``ts_rank``) then reads the
stored vector instead of building it again from the text (about 0.1 ms a row: a
search ranking 1,000 matches spent 140 ms there). Not a model field: Django never
writes it. SQLite and other databases: nothing. The SQL is frozen here; a test
checks that ``catalog.search_postgres`` still matches it.
"""

import importlib

from django.db import migrations

PG_FORWARD = [
    "DROP INDEX IF EXISTS marketplace_product_search",
    """
ALTER TABLE marketplace_core_product ADD COLUMN search_document tsvector
GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE(category_names, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'C')
) STORED""",
    "CREATE INDEX marketplace_product_search ON marketplace_core_product "
    "USING gin (search_document)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS marketplace_product_search",
    "ALTER TABLE marketplace_core_product DROP COLUMN IF EXISTS search_document",
]


def store_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement, params=None)


def drop_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BACKWARD:
            schema_editor.execute(statement, params=None)
        search = importlib.import_module("marketplace_core.migrations.0003_product_search")
        schema_editor.add_index(apps.get_model("marketplace_core", "Product"),
                                search._pg_index())


class Migration(migrations.Migration):

    dependencies = [
        ("marketplace_core", "0006_catalog_facets"),
    ]

    operations = [
        migrations.RunPython(store_document, drop_document),
    ]
