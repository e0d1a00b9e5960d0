"""Background jobs through their services: queueing, claiming, redelivery, progress, results, failures."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from quxiang.core.errors import DomainError
from quxiang.jobs import services
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.selectors import job_percent
from quxiang.jobs.tests.helpers import UNREACHABLE_BROKER, celery_broker
from quxiang.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def calls(register_kind):
    """A kind "test.count" whose handler records each run; "test.refuse" fails with a message."""
    seen: list[int] = []
    failed: list[int] = []

    def count(job):
        seen.append(job.pk)

    def refuse(job):
        raise DomainError("文件不符合要求。", code="bad_file")

    register_kind("test.count", count, on_fail=lambda job: failed.append(job.pk))
    register_kind("test.refuse", refuse, on_fail=lambda job: failed.append(job.pk))
    return {"seen": seen, "failed": failed}


def test_an_unknown_kind_is_refused_when_the_job_is_created():
    with pytest.raises(LookupError):
        services.job_create(kind="no.such.kind")
    assert not Job.objects.exists()


def test_a_queued_job_runs_once_and_is_done(calls):
    user = UserFactory()
    job = services.job_create(kind="test.count", created_by=user, params={"x": 1})
    assert (job.status, job.created_by, job.attempts) == (JobStatus.QUEUED, user, 0)
    services.job_enqueue(job=job)  # eager in the unit tests: runs now
    job.refresh_from_db()
    assert calls["seen"] == [job.pk]
    assert (job.status, job.attempts, job.error) == (JobStatus.DONE, 1, "")
    assert job.started_at and job.finished_at and job_percent(job=job) == 100


def test_a_message_delivered_again_after_the_job_finished_does_nothing(calls):
    job = services.job_create(kind="test.count")
    services.job_run(job_id=job.pk)
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert calls["seen"] == [job.pk] and job.attempts == 1


def test_a_job_whose_worker_died_is_taken_over_by_the_next_delivery(calls):
    """What a SIGKILLed worker leaves behind: running, one attempt, a heartbeat that stopped."""
    job = services.job_create(kind="test.count")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, started_at=LONG_AGO,
                                          heartbeat_at=LONG_AGO)
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert calls["seen"] == [job.pk]
    assert (job.status, job.attempts, job.started_at) == (JobStatus.DONE, 2, LONG_AGO)


def test_a_job_whose_worker_is_alive_is_left_to_it_and_asked_about_later(calls, settings):
    settings.QUXIANG = {**settings.QUXIANG, "JOBS": {"LEASE_SECONDS": 45}}
    job = services.job_create(kind="test.count")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())
    with pytest.raises(services.JobBusy) as busy:
        services.job_run(job_id=job.pk)
    assert busy.value.retry_after == 45
    assert calls["seen"] == [] and Job.objects.get(pk=job.pk).attempts == 1


def test_a_job_that_keeps_killing_its_worker_is_given_up(calls, settings):
    settings.QUXIANG = {**settings.QUXIANG, "JOBS": {"MAX_ATTEMPTS": 3}}
    job = services.job_create(kind="test.count")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=3, heartbeat_at=LONG_AGO)
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert calls["seen"] == [] and job.status == JobStatus.FAILED
    assert "多次中断" in job.error and calls["failed"] == [job.pk]


def test_a_refusal_is_recorded_with_its_message_and_the_owner_hears_of_it(calls):
    job = services.job_create(kind="test.refuse")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "文件不符合要求。")
    assert calls["failed"] == [job.pk]


def test_a_crash_gets_a_general_chinese_message_and_is_logged(register_kind, caplog):
    def crash(job):
        raise RuntimeError("disk on fire")

    register_kind("test.crash", crash)
    job = services.job_create(kind="test.crash")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "意外错误" in job.error and "disk on fire" not in job.error
    assert "disk on fire" in caplog.text


def test_nothing_is_published_before_the_callers_transaction_commits(calls, django_capture_on_commit_callbacks):
    with celery_broker("memory://"), django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.job_create(kind="test.count")
        services.job_enqueue(job=job)
    assert len(callbacks) == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED and calls["seen"] == []


def test_an_unreachable_broker_fails_the_job_with_a_message(calls, django_capture_on_commit_callbacks):
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(kind="test.count")
        services.job_enqueue(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "任务未能排队，请稍后重试。"
    assert calls["seen"] == [] and calls["failed"] == [job.pk]


def test_progress_inside_a_transaction_reaches_the_page_through_the_cache(calls):
    job = services.job_create(kind="test.count")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    services.job_progress(job_id=job.pk, done=10, total=40)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job_percent(job=job)) == (10, 40, 25)
    services.job_progress(job_id=job.pk, done=30, total=40, durable=False)
    job.refresh_from_db()
    assert job.progress_done == 10 and job_percent(job=job) == 75


def test_a_result_file_is_stored_with_the_job(calls):
    job = services.job_create(kind="test.count")
    assert services.job_finish(job_id=job.pk, result=ContentFile(b"a,b\n"), result_name="导出.csv")
    job.refresh_from_db()
    assert job.result_file.name.endswith("/导出.csv") and job.result_file.read() == b"a,b\n"


def test_a_result_for_a_job_that_had_already_ended_leaves_no_file(calls):
    job = services.job_create(kind="test.count")
    services.job_fail(job_id=job.pk, message="已取消。")
    name = f"late-{uuid.uuid4().hex}.csv"
    assert not services.job_finish(job_id=job.pk, result=ContentFile(b"late"), result_name=name)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.result_file
    media = Path(Job._meta.get_field("result_file").storage.location)
    assert not list(media.rglob(name))


def test_a_job_nobody_picked_up_is_eventually_failed_and_a_late_worker_leaves_it(calls, settings):
    settings.QUXIANG = {**settings.QUXIANG, "JOBS": {"STALE_SECONDS": 600}}
    job = services.job_create(kind="test.count")
    assert services.job_expire_stale(job=job).status == JobStatus.QUEUED  # just queued: waits
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=601))
    job = services.job_expire_stale(job=Job.objects.get(pk=job.pk))
    assert job.status == JobStatus.FAILED and "中断" in job.error
    services.job_run(job_id=job.pk)
    assert calls["seen"] == []


def test_the_task_is_acknowledged_late_and_handed_back_if_its_worker_is_lost():
    from celery import current_app

    from quxiang.jobs.tasks import run

    assert run.name == "jobs.run" and run.acks_late and run.reject_on_worker_lost
    assert current_app.conf.worker_prefetch_multiplier == 1
    assert current_app.conf.task_ignore_result and not current_app.conf.result_backend
