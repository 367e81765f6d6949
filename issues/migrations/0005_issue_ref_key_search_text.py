"""Issue.ref_key (the ref as compared) and Issue.search_text (the folded text the search box
matches), filled for the issues already stored; see portal.identifiers."""

import sys

from django.db import migrations

import portal.identifiers


def fill(apps, schema_editor):
    Issue = apps.get_model("issues", "Issue")
    duplicates = portal.identifiers.keys_fill(Issue)
    portal.identifiers.search_text_fill(Issue)
    for pk, ref in duplicates:
        # Printed, not refused: the migration must not stop a deployment over old data.
        sys.stdout.write(f"\n  issue #{pk} {ref!r} repeats an earlier issue's ref; merge or withdraw it")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0004_kpi_covering_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="issue",
            name="ref_key",
            field=portal.identifiers.NormalizedKeyField(default="", kind="reference", source="ref"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="issue",
            name="search_text",
            field=portal.identifiers.SearchTextField(sources=("ref", "title", "area", "description")),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="issue",
            name="ref_key",
            field=portal.identifiers.NormalizedKeyField(kind="reference", source="ref", unique=True),
        ),
    ]
