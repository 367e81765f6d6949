# A GIN index for the SDG filter (portal/sdgs.py) on PostgreSQL; nothing on SQLite.
from django.db import migrations

from portal.sdgs import gin_index_operations


class Migration(migrations.Migration):
    dependencies = [("issues", "0005_issue_ref_key_search_text")]

    operations = gin_index_operations("issues_issue")
