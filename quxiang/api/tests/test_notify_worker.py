"""The 审核结果通知 job (kind `api.review_notify`) through a real Celery worker process against the real
Redis: a counselor's decision commits, the job is queued, and the worker sends the subscribe message to the
fake WeChat server. Same set-up and skips as quxiang/jobs/tests/test_worker.py."""

from __future__ import annotations

from quxiang.api.tests.conftest import REVIEW_TEMPLATE_ID
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.tests.test_worker import pytestmark, redis_db, wait_for, workers  # noqa: F401
from quxiang.reviews.services import registration_return
from quxiang.testing.factories import counselor_of, make_submitted


def test_a_returned_record_is_notified_by_a_worker_process(wechat, bound_student, workers, monkeypatch):  # noqa: F811 - the imported fixture
    # The worker process reads its settings from the environment: point it at the fake WeChat server.
    monkeypatch.setenv("WECHAT_API_BASE", wechat.server.base_url)
    monkeypatch.setenv("WECHAT_REVIEW_TEMPLATE_ID", REVIEW_TEMPLATE_ID)
    worker = workers("n1")
    reg = make_submitted(student=bound_student.student)
    registration_return(registration=reg, actor=counselor_of(reg.student), reason="协议书照片不清晰，请重新上传")

    wait_for(lambda: wechat.sends, what="the subscribe message", worker=worker)
    [send] = wechat.sends
    assert send["body"]["touser"] == bound_student.student.user.wechat_binding.openid
    assert send["body"]["template_id"] == REVIEW_TEMPLATE_ID
    assert "已退回" in {item["value"] for item in send["body"]["data"].values()}
    job = Job.objects.get(kind="api.review_notify")
    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, what="the job", worker=worker)
