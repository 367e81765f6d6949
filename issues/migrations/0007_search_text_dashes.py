"""Issue.search_text folded again: a dash between letters or digits is now "-" on both sides of
the search (portal.identifiers.search_text), so stored refs typed with ー or － are found."""

from django.db import migrations

import portal.identifiers


def refold(apps, schema_editor):
    portal.identifiers.search_text_fill(apps.get_model("issues", "Issue"))


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0006_issue_sdgs_gin"),
    ]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop, elidable=True)]
