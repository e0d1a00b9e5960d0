# The admin showed "Parent:" on a region; the label is Chinese now. No schema change.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reference", "0005_seed_origin_authorities")]

    operations = [
        migrations.AlterField(
            model_name="region",
            name="parent",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="children",
                to="reference.region", verbose_name="上级区划",
            ),
        ),
    ]
