# The admin showed "User:" on a student; the label is Chinese now. No schema change.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roster", "0003_student_export_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="student",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="student", to=settings.AUTH_USER_MODEL,
                verbose_name="登录账号",
            ),
        ),
    ]
