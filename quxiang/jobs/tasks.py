"""The one Celery task of every long job: `jobs.run(job_id)` (found by the worker's autodiscovery), and the
periodic cleanup of old result files `jobs.expire_results` (celery beat, config/celery.py)."""

from celery import shared_task

from quxiang.jobs.services import JobBusy, job_results_expire, job_run


@shared_task(name="jobs.run", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             max_retries=None)
def run(self, job_id: int) -> None:
    """Acknowledged only after the job ran, so a worker killed mid-job leaves the message to another one;
    `job_run` makes that second delivery safe. While another worker is still alive on the job, the message
    is put back for later instead of being dropped (that worker may yet die)."""
    try:
        job_run(job_id=job_id)
    except JobBusy as busy:
        raise self.retry(countdown=busy.retry_after) from None


@shared_task(name="jobs.expire_results", ignore_result=True)
def expire_results() -> int:
    """Old result files out of storage (setting QUXIANG["JOBS"]["RESULT_DAYS"], default 7 days)."""
    return job_results_expire()
