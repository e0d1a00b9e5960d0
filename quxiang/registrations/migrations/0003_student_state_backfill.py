# Existing students get their state (roster.0005's columns) from their records here when there are at
# most BACKFILL_LIMIT of them; a larger database must run `manage.py statistics_recount` right after
# `migrate` (this migration says so), because one long transaction over a million rows would lock the
# roster for minutes.

from django.db import migrations

BACKFILL_LIMIT = 50_000


def backfill(apps, schema_editor):
    Student = apps.get_model("roster", "Student")
    n = Student.objects.count()
    if n == 0:
        return
    if n > BACKFILL_LIMIT:
        print(f"\n  registrations.0003: {n} students — run `manage.py statistics_recount` now (statistics read 未登记 until then).")
        return
    # The one implementation of the rule, on the current models (only reached on a database that has
    # students when this migration runs, i.e. with this code checked out).
    from quxiang.registrations.state import student_states_recount

    student_states_recount(fix=True)


class Migration(migrations.Migration):

    dependencies = [
        ("registrations", "0002_registration_changed_from_and_more"),
        ("roster", "0005_student_record_state"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
