"""The 未登记 page's background jobs (reminders, the xlsx list): importing reviews/jobs.py registers their
kinds with the generic task `jobs.run`; the worker finds this module by autodiscovery."""

from quxiang.reviews import jobs  # noqa: F401
