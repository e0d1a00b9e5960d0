"""Admin pages of the roster, code tables and directory render, and never list a full national ID."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from quxiang.accounts.models import User
from quxiang.roster.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_seeded(client):
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    client.force_login(User.objects.get(username="admin"))
    return client


def test_student_changelist_masks_national_id(admin_client_seeded):
    response = admin_client_seeded.get(reverse("admin:roster_student_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "去向 · 毕业去向登记管理" in html
    shown = Student.objects.order_by("student_number")[:50]
    for student in shown:
        assert student.masked_national_id in html
        assert student.national_id not in html


def test_student_search_by_full_id(admin_client_seeded):
    student = Student.objects.order_by("student_number").first()
    response = admin_client_seeded.get(reverse("admin:roster_student_changelist"), {"q": student.national_id})
    assert response.status_code == 200
    assert student.student_number in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "roster_college",
        "roster_major",
        "roster_schoolclass",
        "reference_orgnature",
        "reference_industry",
        "reference_jobcategory",
        "reference_destinationcategory",
        "reference_destinationtype",
        "reference_region",
        "reference_country",
        "reference_originauthority",
        "organisations_organisation",
    ],
)
def test_changelists_render(admin_client_seeded, name):
    response = admin_client_seeded.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_change_forms_render(admin_client_seeded):
    student = Student.objects.first()
    assert (
        admin_client_seeded.get(reverse("admin:roster_student_change", args=[student.pk])).status_code == 200
    )
    assert (
        admin_client_seeded.get(
            reverse("admin:reference_destinationtype_change", args=["dispatch"])
        ).status_code
        == 200
    )
    assert (
        admin_client_seeded.get(reverse("admin:reference_region_change", args=["330114"])).status_code == 200
    )


def test_office_can_use_the_admin_for_code_tables(client):
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    client.force_login(User.objects.get(username="office"))
    assert client.get(reverse("admin:reference_originauthority_changelist")).status_code == 200
    assert client.get(reverse("admin:organisations_organisation_changelist")).status_code == 200
