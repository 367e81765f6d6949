from django.db import migrations

THEMES = ["SDGs", "DX", "地域活性化", "防災", "子育て", "高齢者支援", "環境・脱炭素", "多文化共生"]


def load(apps, schema_editor):
    EventTheme = apps.get_model("matching", "EventTheme")
    for order, name in enumerate(THEMES):
        EventTheme.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("matching", "0002_events")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
