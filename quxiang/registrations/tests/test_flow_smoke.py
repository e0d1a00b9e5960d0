import pytest
from django.urls import reverse

from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import StudentFactory, make_uscc, pdf_upload

pytestmark = pytest.mark.django_db


def step_url(step):
    return reverse("registrations:step", kwargs={"step": step})


def test_full_flow_general_employer(client):
    student = StudentFactory()
    client.force_login(student.user)
    r = client.get(reverse("registrations:status"))
    assert r.status_code == 200
    r = client.post(reverse("registrations:start"))
    assert r.url == step_url("type")
    r = client.get(step_url("type"))
    assert "一般单位录用" in r.content.decode()
    r = client.post(step_url("type"), {"destination_type": "dispatch_general", "action": "next"})
    assert r.status_code == 302 and r.url == step_url("organisation"), r.content.decode()[:3000]
    data = {
        "org_uscc": make_uscc(), "org_name": "上海测试科技有限公司", "org_shanghai_reg_no": "1234567",
        "org_nature": "39", "org_industry": "I", "org_region": "310115", "org_address": "上海市浦东新区张江路1号",
        "org_postcode": "201203", "org_contact_name": "王经理", "org_contact_phone": "021-58881234",
        "job_category": "13", "signed_on": "2027-03-01", "action": "next",
    }
    r = client.post(step_url("organisation"), data)
    assert r.status_code == 302, r.content.decode()[:5000]
    r = client.post(step_url("evidence"), {"action": "upload", "file": pdf_upload()})
    assert r.status_code == 302
    r = client.post(step_url("evidence"), {"action": "next"})
    assert r.url == step_url("archive")
    r = client.post(step_url("archive"), {"action": "match_origin"})
    assert "上海市学生事务中心" in r.content.decode()
    reg = Registration.objects.get(student=student)
    fill = reg.pending_input["archive"]
    fill["action"] = "next"
    r = client.post(step_url("archive"), fill)
    assert r.status_code == 302, r.content.decode()[:5000]
    r = client.get(step_url("review"))
    assert r.status_code == 200
    r = client.post(step_url("review"), {"action": "submit"})
    assert r.status_code == 302
    reg.refresh_from_db()
    assert reg.status == Status.SUBMITTED
    r = client.get(reverse("registrations:status"))
    assert "待鉴证" in r.content.decode()
