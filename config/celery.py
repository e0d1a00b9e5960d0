"""The Celery app (issue 11): `celery -A config worker` runs the background jobs.

Settings come from Django's (CELERY_* in config/settings); each installed app's tasks.py is autodiscovered.
The broker is Redis in production and kombu's filesystem transport under var/ for `make run`
(docs/decisions.md "Background jobs (issue 11)")."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("quxiang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs (`celery -A config beat`, or a worker started with -B): old job result files leave storage
# every night (quxiang.jobs.services.job_results_expire). A CELERY_BEAT_SCHEDULE setting adds to this.
app.conf.beat_schedule = {
    "jobs-expire-results": {"task": "jobs.expire_results", "schedule": crontab(hour=3, minute=17)},
    **(app.conf.beat_schedule or {}),
}
