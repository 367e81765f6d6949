from django.db import migrations, models

FIELDS = [
    ("教育・人材育成", "Education & skills"),
    ("健康・福祉", "Health & welfare"),
    ("高齢者支援", "Support for older people"),
    ("子育て支援", "Child-rearing support"),
    ("環境・エネルギー", "Environment & energy"),
    ("防災・安全", "Disaster prevention & safety"),
    ("まちづくり・都市計画", "Urban development"),
    ("DX・デジタル", "DX & digital"),
    ("地域経済・産業", "Local economy & industry"),
    ("多文化共生", "Multicultural community"),
    ("その他", "Other"),
]


def load_fields(apps, schema_editor):
    Field = apps.get_model("portal", "Field")
    for order, (name, name_en) in enumerate(FIELDS):
        Field.objects.update_or_create(name=name, defaults={"name_en": name_en, "order": order})


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_load_wards")]
    operations = [
        migrations.CreateModel(
            name="Field",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50, unique=True, verbose_name="分野名")),
                ("name_en", models.CharField(blank=True, max_length=80, verbose_name="英語名")),
                ("order", models.PositiveSmallIntegerField(default=100)),
            ],
            options={"ordering": ["order", "name"], "verbose_name": "分野", "verbose_name_plural": "分野"},
        ),
        migrations.RunPython(load_fields, migrations.RunPython.noop),
    ]
