"""Organization.name_key (the name as compared: portal.identifiers.organization_name_key),
filled for the organisations already stored."""

from django.db import migrations

import portal.identifiers


def fill(apps, schema_editor):
    portal.identifiers.keys_fill(apps.get_model("partners", "Organization"), field="name_key")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_resource_sdgs_gin"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="name_key",
            field=portal.identifiers.NormalizedKeyField(
                db_index=True, default="", kind="organization_name", source="name"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
