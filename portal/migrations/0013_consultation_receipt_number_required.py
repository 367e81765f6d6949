# Every consultation request has its 受付番号 (filled by 0009); a separate migration, so the
# column is altered in another transaction than the rows were updated in (PostgreSQL).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0012_advice_sessions"),
    ]

    operations = [
        migrations.AlterField(
            model_name='consultationrequest',
            name='receipt_number',
            field=models.CharField(editable=False, max_length=12, unique=True, verbose_name='受付番号'),
        ),
        migrations.AlterField(
            model_name='historicalconsultationrequest',
            name='receipt_number',
            field=models.CharField(db_index=True, editable=False, max_length=12, verbose_name='受付番号'),
        ),
    ]
