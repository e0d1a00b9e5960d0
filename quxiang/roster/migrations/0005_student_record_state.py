# The statistics page groups by each student's state, kept on the student row (issue 11). The
# backfill is registrations.0003 (the rule lives in registrations, which roster may not import).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

class Migration(migrations.Migration):

    dependencies = [
        ('reference', '0008_country_current_names'),
        ('roster', '0004_verbose_names'),
        ('registrations', '0002_registration_changed_from_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='student',
            name='pending_type',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reference.destinationtype', verbose_name='待鉴证去向类型'),
        ),
        migrations.AddField(
            model_name='student',
            name='record_state',
            field=models.CharField(choices=[('none', '未登记'), ('draft', '草稿'), ('submitted', '待鉴证'), ('returned', '已退回'), ('verified', '已鉴证')], db_default='none', default='none', editable=False, max_length=10, verbose_name='登记状态'),
        ),
        migrations.AddField(
            model_name='student',
            name='verified_type',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reference.destinationtype', verbose_name='已鉴证去向类型'),
        ),
        migrations.AddIndex(
            model_name='student',
            index=models.Index(fields=['graduation_year', 'college', 'major', 'education_level', 'gender', 'record_state', 'verified_type', 'pending_type'], name='student_statistics_idx'),
        ),
    ]
