import io

import pytest
import zxingcpp
from django.urls import reverse
from pypdf import PdfReader

from quxiang.accounts.models import Role
from quxiang.organisations.models import Organisation
from quxiang.registrations.models import Registration, Status
from quxiang.registrations.tests.test_flow_smoke import test_full_flow_general_employer as run_flow
from quxiang.roster.models import Student

pytestmark = pytest.mark.django_db


def test_return_resubmit_verify_sheet(client):
    run_flow(client)
    reg = Registration.objects.get()
    student = reg.student
    counselor = student.school_class.counselors.get()
    assert counselor.role == Role.COUNSELOR
    client.force_login(counselor)
    r = client.get(reverse("reviews:queue"))
    assert student.student_number in r.content.decode()
    r = client.post(reverse("reviews:return", args=[reg.pk]), {"reason": "协议书第一联缺少单位盖章"})
    reg.refresh_from_db()
    assert reg.status == Status.RETURNED
    client.force_login(student.user)
    assert "协议书第一联缺少单位盖章" in client.get(reverse("registrations:status")).content.decode()
    client.post(reverse("registrations:start"))
    client.post(reverse("registrations:step", args=["review"]), {"action": "submit"})
    reg.refresh_from_db()
    assert reg.status == Status.SUBMITTED
    client.force_login(counselor)
    client.post(reverse("reviews:verify", args=[reg.pk]))
    reg.refresh_from_db()
    assert reg.status == Status.VERIFIED and reg.verification_no
    assert Organisation.objects.filter(uscc=reg.org_uscc).exists()
    client.force_login(student.user)
    r = client.get(reverse("registrations:sheet", args=[reg.pk]))
    assert r.status_code == 200
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    text = page.extract_text()
    assert reg.org_name in text and reg.verification_no in text and student.masked_national_id in text
    codes = [b.text for img in page.images for b in zxingcpp.read_barcodes(img.image)]
    assert len(codes) == 1 and codes[0].endswith(f"/verify/{reg.verification_no}/")
    client.logout()
    path = codes[0].split("://", 1)[1].split("/", 1)[1]
    r = client.get("/" + path)
    assert r.status_code == 200 and "核验通过" in r.content.decode()
    tampered = reg.verification_no[:-1] + ("1" if reg.verification_no[-1] != "1" else "2")
    r = client.get(reverse("public_verify", args=[tampered]))
    assert r.status_code == 404
    assert Student.objects.count() == 1
