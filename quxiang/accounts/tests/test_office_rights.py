"""A production database that never ran the demo seeder still gives the office its admin rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from quxiang.accounts.models import Role, User
from quxiang.accounts.services import user_role_rights_sync
from quxiang.roster.models import Student

pytestmark = pytest.mark.django_db


def test_migrate_alone_creates_the_office_group_with_its_permissions():
    assert not Student.objects.exists()  # nothing seeded: only the migrations ran
    group = Group.objects.get(name="就业指导中心")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("reference", "change_country") in codenames
    assert ("roster", "add_student") in codenames
    assert ("organisations", "change_organisation") in codenames
    assert ("accounts", "change_user") in codenames
    assert ("accounts", "delete_user") not in codenames
    assert not any(app == "audit" for app, _c in codenames)  # the audit log is never editable


def test_an_office_account_created_in_the_admin_can_edit_the_code_tables(client):
    admin = User.objects.create_superuser(username="root", password="Root-2027-ok", role=Role.ADMIN)
    client.force_login(admin)
    response = client.post("/admin/accounts/user/add/", {
        "username": "office2", "full_name": "就业指导中心二", "role": Role.OFFICE, "usable_password": "true",
        "password1": "Office-2027-ok", "password2": "Office-2027-ok",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    office = User.objects.get(username="office2")
    assert office.is_staff and not office.is_superuser
    assert office.has_perm("reference.change_country") and office.has_perm("roster.change_student")
    client.force_login(office)
    assert client.get("/admin/reference/country/").status_code == 200


def test_a_role_change_away_from_office_takes_the_rights_away():
    user = User.objects.create_user(username="o3", password="x", role=Role.OFFICE)
    user_role_rights_sync(user=user)
    assert User.objects.get(pk=user.pk).has_perm("roster.change_student")
    user.role = Role.COUNSELOR
    user.save()
    user_role_rights_sync(user=user)
    assert not User.objects.get(pk=user.pk).has_perm("roster.change_student")


def test_role_predicates():
    assert User(role=Role.OFFICE).is_office and User(role=Role.ADMIN).is_office
    assert not User(role=Role.COUNSELOR).is_office and User(role=Role.COUNSELOR).is_counselor
    assert User(role=Role.COLLEGE_OFFICER).is_college_officer and User(role=Role.STUDENT).is_student
