"""The Celery app (issue 11): `celery -A config worker` runs the background jobs.

Settings come from Django's (CELERY_* in config/settings); each installed app's tasks.py is autodiscovered.
The broker is Redis in production and kombu's filesystem transport under var/ for `make run`
(docs/decisions.md "Background jobs (issue 11)")."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("quxiang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
