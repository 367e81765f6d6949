"""Resource.ref_key (the ref as compared), filled for the resources already stored, and every
stored 法人番号 in its one spelling; see portal.identifiers."""

import sys

from django.db import migrations

import portal.identifiers


def fill(apps, schema_editor):
    Resource = apps.get_model("partners", "Resource")
    for pk, ref in portal.identifiers.keys_fill(Resource):
        # Printed, not refused: the migration must not stop a deployment over old data.
        sys.stdout.write(f"\n  resource #{pk} {ref!r} repeats an earlier resource's ref")
    Organization = apps.get_model("partners", "Organization")
    for org in Organization.objects.exclude(corporate_number="").only("pk", "corporate_number"):
        number = portal.identifiers.corporate_number_key(org.corporate_number)
        if number != org.corporate_number:
            Organization.objects.filter(pk=org.pk).update(corporate_number=number)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_record_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="ref_key",
            field=portal.identifiers.NormalizedKeyField(default="", kind="reference", source="ref"),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="resource",
            name="ref_key",
            field=portal.identifiers.NormalizedKeyField(kind="reference", source="ref", unique=True),
        ),
    ]
