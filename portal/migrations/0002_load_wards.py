"""Loads the 23 special wards from portal/data/tokyo23_wards.csv (public facts)."""

import csv
from pathlib import Path

from django.db import migrations

WARDS_CSV = Path(__file__).resolve().parent.parent / "data" / "tokyo23_wards.csv"


def load_wards(apps, schema_editor):
    Ward = apps.get_model("portal", "Ward")
    with WARDS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Ward.objects.update_or_create(
                code=row["code"],
                defaults={
                    "code_with_check_digit": row["code_with_check_digit"],
                    "name_ja": row["name_ja"],
                    "name_kana": row["name_kana"],
                    "name_en": row["name_en"],
                },
            )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(load_wards, migrations.RunPython.noop)]
