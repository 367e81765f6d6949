"""Filtering records by SDG goal, on both databases the portal runs on.

Issues and resources keep their goals as a JSON list of ints (`[3, 11]`). On PostgreSQL the
filter is JSONB containment (`@>`), which the GIN indexes created by migrations
issues/0006 and partners/0006 serve; on SQLite (the embedded default, no JSON containment) it
is a regular expression over the stored JSON text that matches the number as a whole ("1"
must not match 11 or 17).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def sdg_filter(field: str, goal: int) -> Q:
    """Rows whose JSON list in `field` holds SDG `goal` (1–17)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [goal]})
    return Q(**{f"{field}__regex": rf"(^|[^0-9]){int(goal)}([^0-9]|$)"})


def gin_index_operations(table: str, column: str = "sdgs"):
    """Migration operations: a GIN (jsonb_path_ops) index on PostgreSQL, nothing elsewhere."""
    from django.db import migrations

    name = f"{table}_{column}_gin"

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} jsonb_path_ops)"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return [migrations.RunPython(create, drop)]
