"""审核结果通知 (issue 10): after a counselor's 鉴证 / 退回 commits, the student's bound openid gets a WeChat
subscribe message through the fake WeChat server (conftest.py). Failures are logged and never undo the
decision."""

from __future__ import annotations

import logging

import pytest

from quxiang.api.tests.conftest import REVIEW_TEMPLATE_ID
from quxiang.jobs.models import Job
from quxiang.registrations.models import Registration, Status
from quxiang.reviews.services import registration_return, registration_verify
from quxiang.testing.factories import StudentFactory, counselor_of, make_submitted

pytestmark = pytest.mark.django_db

REASON = "就业协议书缺少单位公章，请补充盖章页后重新提交（原件扫描）"


@pytest.fixture
def submitted(bound_student) -> Registration:
    return make_submitted(student=bound_student.student)


def verify(reg: Registration, capture) -> Registration:
    with capture(execute=True):
        return registration_verify(registration=reg, actor=counselor_of(reg.student))


def return_(reg: Registration, capture, reason: str = REASON) -> Registration:
    with capture(execute=True):
        return registration_return(registration=reg, actor=counselor_of(reg.student), reason=reason)


def values(send: dict) -> dict[str, str]:
    return {key: item["value"] for key, item in send["body"]["data"].items()}


def test_verify_sends_the_result_to_the_bound_openid(wechat, bound_student, submitted,
                                                     django_capture_on_commit_callbacks):
    verify(submitted, django_capture_on_commit_callbacks)

    [send] = wechat.sends
    openid = bound_student.student.user.wechat_binding.openid
    assert send["body"]["touser"] == openid
    assert send["body"]["template_id"] == REVIEW_TEMPLATE_ID
    assert send["access_token"] == "TOKEN-1"
    data = values(send)
    # settings' default field names: thing1 姓名, phrase2 结果, thing3 退回原因, time4 处理时间
    assert data["phrase2"] == "鉴证通过"
    assert data["thing3"] == "无"
    assert data["thing1"] == bound_student.student.name


def test_return_sends_the_reason(wechat, submitted, django_capture_on_commit_callbacks):
    return_(submitted, django_capture_on_commit_callbacks)

    data = values(wechat.sends[0])
    assert data["phrase2"] == "已退回"
    # a thing value holds at most 20 characters: the reason is cut with an ellipsis, not refused by WeChat
    assert len(data["thing3"]) <= 20
    assert data["thing3"].startswith("就业协议书缺少单位公章")
    assert data["thing3"].endswith("…")


def test_field_names_come_from_settings(wechat, submitted, django_capture_on_commit_callbacks):
    wechat._set(REVIEW_TEMPLATE_FIELDS={"result": "phrase9", "reason": "thing7"})
    return_(submitted, django_capture_on_commit_callbacks, reason="照片不清晰")

    assert values(wechat.sends[0]) == {"phrase9": "已退回", "thing7": "照片不清晰"}


def test_the_token_is_cached_between_sends(wechat, make_bound_student, django_capture_on_commit_callbacks):
    first, second = (make_submitted(student=make_bound_student().student) for _ in range(2))
    verify(first, django_capture_on_commit_callbacks)
    return_(second, django_capture_on_commit_callbacks)

    assert len(wechat.token_fetches) == 1
    assert [s["access_token"] for s in wechat.sends] == ["TOKEN-1", "TOKEN-1"]


def test_a_token_near_expiry_is_fetched_again(wechat, make_bound_student, django_capture_on_commit_callbacks):
    wechat.server.token_expires_in = 200  # inside the refresh margin: used once, never cached
    first, second = (make_submitted(student=make_bound_student().student) for _ in range(2))
    verify(first, django_capture_on_commit_callbacks)
    verify(second, django_capture_on_commit_callbacks)

    assert len(wechat.token_fetches) == 2
    assert [s["access_token"] for s in wechat.sends] == ["TOKEN-1", "TOKEN-2"]


def test_invalid_token_40001_is_refreshed_once_and_the_send_retried(wechat, make_bound_student,
                                                                     django_capture_on_commit_callbacks):
    first, second = (make_submitted(student=make_bound_student().student) for _ in range(2))
    verify(first, django_capture_on_commit_callbacks)
    wechat.revoke_tokens()  # the cached TOKEN-1 is now refused with 40001

    verify(second, django_capture_on_commit_callbacks)

    assert [s["access_token"] for s in wechat.sends] == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]
    assert len(wechat.token_fetches) == 2
    assert Job.objects.filter(kind="api.review_notify", status="done").count() == 2


def test_expired_token_42001_is_refreshed_only_once(wechat, submitted, django_capture_on_commit_callbacks, caplog):
    wechat.server.send_errcodes = [42001, 42001, 42001]
    with caplog.at_level(logging.WARNING, logger="quxiang.api.notify"):
        reg = verify(submitted, django_capture_on_commit_callbacks)

    assert len(wechat.sends) == 2  # the first try and one retry with a fresh token, no loop
    assert len(wechat.token_fetches) == 2
    assert "42001" in caplog.text
    assert Registration.objects.get(pk=reg.pk).status == Status.VERIFIED


def test_43101_no_subscription_is_logged_not_retried_and_the_decision_stands(
        wechat, submitted, django_capture_on_commit_callbacks, caplog):
    wechat.server.send_errcodes = [43101]
    with caplog.at_level(logging.INFO, logger="quxiang.api.notify"):
        reg = return_(submitted, django_capture_on_commit_callbacks)

    assert len(wechat.sends) == 1
    assert "43101" in caplog.text
    stored = Registration.objects.get(pk=reg.pk)
    assert stored.status == Status.RETURNED and stored.return_reason == REASON


def test_a_wechat_timeout_is_logged_and_the_decision_stands(wechat, submitted, django_capture_on_commit_callbacks,
                                                            caplog):
    wechat.server.send_errcodes = ["slow"]
    with caplog.at_level(logging.WARNING, logger="quxiang.api.notify"):
        reg = verify(submitted, django_capture_on_commit_callbacks)

    assert "wechat_timeout" in caplog.text
    stored = Registration.objects.get(pk=reg.pk)
    assert stored.status == Status.VERIFIED and stored.verification_no
    job = Job.objects.get(kind="api.review_notify")
    assert job.status == "failed" and "wechat_timeout" in job.error


def test_wechat_down_never_reaches_the_counselor(wechat, submitted, django_capture_on_commit_callbacks):
    wechat.go_down()
    reg = verify(submitted, django_capture_on_commit_callbacks)
    assert Registration.objects.get(pk=reg.pk).status == Status.VERIFIED


def test_a_student_without_a_binding_gets_nothing(wechat, django_capture_on_commit_callbacks):
    reg = make_submitted(student=StudentFactory())
    verify(reg, django_capture_on_commit_callbacks)

    assert wechat.sends == [] and wechat.token_fetches == []
    assert not Job.objects.filter(kind="api.review_notify").exists()


def test_nothing_is_sent_while_the_decision_has_not_committed(wechat, submitted):
    registration_verify(registration=submitted, actor=counselor_of(submitted.student))
    assert wechat.sends == []


def test_a_decision_rolled_back_sends_nothing(wechat, submitted, django_capture_on_commit_callbacks):
    from django.db import transaction

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort), transaction.atomic():
        registration_verify(registration=submitted, actor=counselor_of(submitted.student))
        raise Abort
    assert wechat.sends == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # no post_migrate re-seed after its flush
def test_really_committed_decision_survives_a_refused_send(wechat, bound_student):
    """Real COMMIT (no captured callbacks): the on_commit send runs, fails with 43101, the record stays 已鉴证."""
    reg = make_submitted(student=bound_student.student)
    wechat.server.send_errcodes = [43101]
    registration_verify(registration=reg, actor=counselor_of(reg.student))

    assert len(wechat.sends) == 1
    assert Registration.objects.get(pk=reg.pk).status == Status.VERIFIED
