# A GIN index for the SDG filter (portal/sdgs.py) on PostgreSQL; nothing on SQLite.
from django.db import migrations

from portal.sdgs import gin_index_operations


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_resource_ref_key")]

    operations = gin_index_operations("partners_resource")
