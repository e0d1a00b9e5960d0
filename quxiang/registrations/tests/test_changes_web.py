"""The change request's web door: the status page offers 撤销变更申请 behind a confirmation, and a new
change tells the student their verified evidence was carried over."""

from __future__ import annotations

import html as htmllib

import pytest
from django.urls import reverse

from quxiang.registrations import services as reg_services
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import make_verified

pytestmark = pytest.mark.django_db

STATUS = reverse("registrations:status")
CANCEL = reverse("registrations:change_cancel")


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def change(client):
    """A student with a verified v1 and a change draft v2 started on the web, logged in."""
    v1 = make_verified()
    client.force_login(v1.student.user)
    response = client.post(reverse("registrations:change"), follow=True)
    assert any("1 个佐证材料已带入本次变更" in m for m in messages_of(response))
    return v1, Registration.objects.get(student=v1.student, version=2)


def test_the_status_page_offers_cancel_with_a_confirmation(client, change):
    page = text(client.get(STATUS))
    assert 'id="cancel-change"' in page and "撤销变更申请" in page
    assert "撤销后，本次变更（第 2 版）填写的内容和上传的材料将被删除，不能恢复；原已鉴证的登记继续有效。" in page
    assert f'action="{CANCEL}"' in page and 'name="confirm" value="1"' in page


def test_confirmed_cancel_shows_the_verified_record_again(client, change):
    v1, v2 = change
    response = client.post(CANCEL, {"confirm": "1"}, follow=True)

    assert response.redirect_chain == [(STATUS, 302)]
    assert "已撤销变更申请。原已鉴证的登记继续有效。" in messages_of(response)
    assert response.context["registration"].pk == v1.pk
    page = text(response)
    assert 'id="registration-status">已鉴证<' in page and 'id="start-change"' in page
    assert not Registration.objects.filter(pk=v2.pk).exists()


def test_cancel_without_the_confirmation_deletes_nothing(client, change):
    _v1, v2 = change
    response = client.post(CANCEL, follow=True)
    assert any("确认撤销" in m for m in messages_of(response))
    assert Registration.objects.filter(pk=v2.pk, status=Status.DRAFT).exists()


def test_a_submitted_change_asks_to_withdraw_first(client, change):
    v1, v2 = change
    assert reg_services.registration_submit(registration=v2, actor=v1.student.user)

    page = text(client.get(STATUS))
    assert 'id="cancel-change"' not in page and "如需撤销变更申请，请先“撤回修改”。" in page
    response = client.post(CANCEL, {"confirm": "1"}, follow=True)
    assert any("请先“撤回修改”" in m for m in messages_of(response))
    assert Registration.objects.get(pk=v2.pk).status == Status.SUBMITTED


def test_no_cancel_button_without_a_change(client):
    v1 = make_verified()
    client.force_login(v1.student.user)
    assert 'id="cancel-change"' not in text(client.get(STATUS))
    response = client.post(CANCEL, {"confirm": "1"}, follow=True)
    assert "您没有进行中的变更申请。" in messages_of(response)


def test_staff_cannot_cancel_a_students_change(client, change):
    from quxiang.testing.factories import counselor_of

    v1, v2 = change
    client.force_login(counselor_of(v1.student))
    assert client.post(CANCEL, {"confirm": "1"}).status_code == 404
    assert 'id="cancel-change"' not in text(client.get(reverse("registrations:record", args=[v2.pk])))
    assert Registration.objects.filter(pk=v2.pk).exists()


def test_the_change_page_keeps_the_carried_file(client, change):
    _v1, v2 = change
    page = text(client.get(reverse("registrations:step", kwargs={"step": "evidence"})))
    assert v2.evidence_files.get().original_name in page


def test_cancel_only_by_post(client, change):
    assert client.get(CANCEL).status_code == 405
