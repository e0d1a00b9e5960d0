"""The 未登记 page's background jobs (reminders, the xlsx list) and the 后台任务 pages, through the real views
and services with eager Celery: what a redelivered reminder job sends, a mail server that fails midway, a
broker that cannot be reached, who sees which job and who gets its file."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from quxiang.accounts.models import Role
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.jobs.models import Job, JobMark, JobMarkState, JobStatus
from quxiang.jobs.services import job_create, job_results_expire, job_run
from quxiang.jobs.tests.helpers import UNREACHABLE_BROKER, celery_broker
from quxiang.reviews import exports
from quxiang.reviews import jobs as review_jobs
from quxiang.testing.factories import (
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_counselor,
    make_office,
)

pytestmark = pytest.mark.django_db
UNREGISTERED = reverse("reviews:unregistered")
MESSAGE = "请于本周五前完成毕业去向登记。"


@pytest.fixture
def school():
    """A counselor with five unregistered students (one without an email address) and another counselor."""
    counselor = make_counselor()
    cls = SchoolClassFactory(counselor=counselor)
    students = [StudentFactory(school_class=cls, email=f"s{i}@stu.example.edu.cn") for i in range(4)]
    students.append(StudentFactory(school_class=cls, email=""))
    return {"counselor": counselor, "students": students, "other": make_counselor(), "office": make_office()}


def remind_job(counselor) -> Job:
    return job_create(kind=review_jobs.KIND_REMIND, created_by=counselor,
                      params={"year": None, "message": MESSAGE, "ip": "10.3.3.3"})


def test_a_redelivered_reminder_job_sends_nobody_a_second_email(school, mailoutbox):
    job = remind_job(school["counselor"])
    first = school["students"][0]
    # What a worker SIGKILLed while sending to `first` leaves: its claim, no "done".
    JobMark.objects.create(job=job, key=str(first.pk))
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert sorted(a for m in mailoutbox for a in m.to) == sorted(s.email for s in school["students"][1:4])
    assert job.summary == {"sent": 3, "no_email": 1, "unconfirmed": 1}
    entry = AuditEntry.objects.get(action=AuditAction.REMIND)
    assert entry.detail == {"recipients": 3, "job": job.pk, "unconfirmed": 1} and entry.ip == "10.3.3.3"
    # Another delivery of the finished job: nothing more.
    job_run(job_id=job.pk)
    assert len(mailoutbox) == 3 and AuditEntry.objects.filter(action=AuditAction.REMIND).count() == 1


def test_a_run_killed_after_the_last_email_but_before_done_sends_nothing_more(school, mailoutbox):
    job = remind_job(school["counselor"])
    for student in school["students"]:
        JobMark.objects.create(job=job, key=str(student.pk), state=JobMarkState.DONE if student.email
                               else JobMarkState.SKIPPED)
    long_ago = timezone.now() - dt.timedelta(hours=1)  # its worker's heartbeat stopped
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=long_ago)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.summary) == (JobStatus.DONE, 2, {"sent": 4, "no_email": 1, "unconfirmed": 0})
    assert mailoutbox == [] and AuditEntry.objects.filter(action=AuditAction.REMIND).count() == 1


def test_the_page_counts_an_unconfirmed_reminder(client, school, mailoutbox):
    job = remind_job(school["counselor"])
    JobMark.objects.create(job=job, key=str(school["students"][0].pk))
    job_run(job_id=job.pk)
    client.force_login(school["counselor"])
    page = client.get(reverse("reviews:job", kwargs={"pk": job.pk})).content.decode()
    assert "已向 3 名学生发送提醒" in page and "1 名学生的提醒在后台进程中断时正在发送" in page


def test_a_mail_server_that_fails_midway_fails_the_job_and_logs_what_was_sent(client, school, mailoutbox, monkeypatch):
    from quxiang.core import notify

    real = notify.notify_students
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["students"][0].pk)
        if len(calls) == 3:
            raise OSError("connection refused")
        return real(**kwargs)

    monkeypatch.setattr(review_jobs, "notify_students", flaky)
    client.force_login(school["counselor"])
    response = client.post(UNREGISTERED, {"message": MESSAGE})
    job = Job.objects.get(kind=review_jobs.KIND_REMIND)
    assert job.status == JobStatus.FAILED
    assert job.error == "邮件服务器暂时不可用，提醒没有全部发出（已发送 2 人）。请稍后重试。"
    page = client.get(response["Location"]).content.decode()
    assert 'id="job-failed"' in page and "已发送 2 人" in page and "已向 2 名学生发送提醒" in page
    assert len(mailoutbox) == 2
    # The one that failed is not marked as handled; the audit entry says the job did not finish.
    assert not JobMark.objects.filter(job=job, key=str(calls[2])).exists()
    entry = AuditEntry.objects.get(action=AuditAction.REMIND)
    assert entry.detail == {"recipients": 2, "job": job.pk, "incomplete": True}


def test_when_the_reminders_cannot_be_queued_nothing_is_sent_and_the_page_says_so(
        client, school, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(school["counselor"])
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        response = client.post(UNREGISTERED, {"message": MESSAGE})
    job = Job.objects.get(kind=review_jobs.KIND_REMIND)
    assert (job.status, job.error) == (JobStatus.FAILED, "任务未能排队，请稍后重试。")
    page = client.get(response["Location"]).content.decode()
    assert "任务未能排队，请稍后重试。" in page
    assert mailoutbox == [] and not JobMark.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.REMIND).exists()


def test_when_the_xlsx_cannot_be_queued_no_file_and_no_audit(client, school, django_capture_on_commit_callbacks):
    client.force_login(school["counselor"])
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        response = client.post(UNREGISTERED, {"action": "export"})
    job = Job.objects.get(kind=review_jobs.KIND_UNREGISTERED_XLSX)
    assert (job.status, job.result_file.name) == (JobStatus.FAILED, "")
    page = client.get(response["Location"]).content.decode()
    assert "任务未能排队，请稍后重试。" in page and "job-download" not in page
    assert client.get(reverse("reviews:job_download", kwargs={"pk": job.pk})).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_list_longer_than_an_excel_sheet_goes_on_in_a_second_sheet(client, school, monkeypatch):
    monkeypatch.setattr(exports, "SHEET_ROWS", 3)
    client.force_login(school["counselor"])
    client.post(UNREGISTERED, {"action": "export"})
    job = Job.objects.get(kind=review_jobs.KIND_UNREGISTERED_XLSX)
    with job.result_file.open("rb") as fh:
        book = openpyxl.load_workbook(io.BytesIO(fh.read()))
    assert book.sheetnames == ["未登记名单", "未登记名单 (2)"]
    assert [book[n].max_row for n in book.sheetnames] == [4, 3]  # header + 3, header + 2
    assert job.summary == {"rows": 5}


def test_the_job_list_shows_ones_own_jobs_and_the_office_all(client, school):
    counselor, other, office = school["counselor"], school["other"], school["office"]
    client.force_login(counselor)
    client.post(UNREGISTERED, {"action": "export"})
    client.post(UNREGISTERED, {"message": MESSAGE})
    mine = list(Job.objects.order_by("id"))
    html = client.get(reverse("reviews:jobs")).content.decode()
    assert "未登记名单导出" in html and "催报提醒" in html and "已完成" in html
    assert html.count('href="/staff/jobs/') >= 3  # two job pages and one download
    assert re.search(rf'<a href="/staff/jobs/{mine[0].pk}/download/">', html)

    client.force_login(other)
    assert "还没有后台任务" in client.get(reverse("reviews:jobs")).content.decode()
    for name in ("reviews:job", "reviews:job_status", "reviews:job_download"):
        assert client.get(reverse(name, kwargs={"pk": mine[0].pk})).status_code == 404

    # The office sees everybody's jobs, but a file goes to the person who started the job only.
    client.force_login(office)
    html = client.get(reverse("reviews:jobs")).content.decode()
    assert "未登记名单导出" in html and "催报提醒" in html
    assert client.get(reverse("reviews:job", kwargs={"pk": mine[0].pk})).status_code == 200
    assert client.get(reverse("reviews:job_download", kwargs={"pk": mine[0].pk})).status_code == 404

    client.force_login(school["students"][0].user)
    assert client.get(reverse("reviews:jobs")).status_code == 404
    assert client.get(reverse("reviews:job", kwargs={"pk": mine[0].pk})).status_code == 404


def test_the_office_list_shows_jobs_nobody_started_and_names_every_kind(client, school):
    """The evidence reading after an upload is started by the system, not a person (the new-user walkthrough
    found the office's list answered 500 as soon as one existed); every kind has its Chinese name."""
    from quxiang.evidence.reading import KIND_READ
    from quxiang.imports.jobs import KIND_APPLY, KIND_CHECK
    from quxiang.reports.jobs import KIND_EXPORT

    job_create(kind=KIND_READ, created_by=None, params={"evidence": 1})
    for kind in (KIND_CHECK, KIND_APPLY, KIND_EXPORT):
        job_create(kind=kind, created_by=school["office"], params={})
    client.force_login(school["office"])
    response = client.get(reverse("reviews:jobs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "系统" in html
    for name in ("佐证材料识别", "名单导入检查", "名单导入", "毕业去向上报导出"):
        assert name in html
    assert "后台任务 #" not in html  # no kind left with the generic name


def test_the_status_the_bar_polls(client, school):
    client.force_login(school["counselor"])
    client.post(UNREGISTERED, {"action": "export"})
    job = Job.objects.get()
    status = client.get(reverse("reviews:job_status", kwargs={"pk": job.pk})).json()
    assert status["status"] == "done" and status["running"] is False and status["progress"] == 100
    assert status["download_url"] == reverse("reviews:job_download", kwargs={"pk": job.pk})
    assert status["url"] == reverse("reviews:job", kwargs={"pk": job.pk})


def test_an_expired_file_is_no_longer_offered(client, school):
    client.force_login(school["counselor"])
    client.post(UNREGISTERED, {"action": "export"})
    job = Job.objects.get()
    assert job_results_expire(days=0) == 1
    page = client.get(reverse("reviews:job", kwargs={"pk": job.pk})).content.decode()
    assert 'id="job-expired"' in page and "job-download" not in page
    assert "文件已过期" in client.get(reverse("reviews:jobs")).content.decode()
    assert client.get(reverse("reviews:job_download", kwargs={"pk": job.pk})).status_code == 404


def test_a_job_of_someone_who_is_no_longer_staff_does_nothing(school, mailoutbox):
    job = remind_job(school["counselor"])
    school["counselor"].role = Role.STUDENT
    school["counselor"].save(update_fields=["role"])
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "已不是教师账号" in job.error and mailoutbox == []
    assert JobMark.objects.filter(state=JobMarkState.DONE).count() == 0


def test_a_counselor_reminds_only_their_own_students(client, school, mailoutbox):
    StudentFactory(email="elsewhere@stu.example.edu.cn")
    UserFactory(role=Role.COUNSELOR)
    client.force_login(school["counselor"])
    client.post(UNREGISTERED, {"message": MESSAGE})
    assert "elsewhere@stu.example.edu.cn" not in [a for m in mailoutbox for a in m.to]
    assert len(mailoutbox) == 4
