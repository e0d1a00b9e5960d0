"""The integrity app's background jobs (the checks' scan, the sampling draw): importing integrity/jobs.py
registers their kinds with the generic task `jobs.run`; the worker finds this module by autodiscovery."""

from quxiang.integrity import jobs  # noqa: F401
