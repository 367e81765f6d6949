"""MailLog.search_text (the folded address and subject the mail log's search matches), filled
for the mails already logged; see portal.identifiers."""

from django.db import migrations

import portal.identifiers


def fill(apps, schema_editor):
    portal.identifiers.search_text_fill(apps.get_model("portal", "MailLog"))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0021_import_job_measurements"),
    ]

    operations = [
        migrations.AddField(
            model_name="maillog",
            name="search_text",
            field=portal.identifiers.SearchTextField(sources=("to", "subject")),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
