"""Merging two directory rows of the same organisation: the service and the admin action."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse

from quxiang.accounts.models import Role
from quxiang.accounts.services import user_role_rights_sync
from quxiang.organisations.models import Organisation
from quxiang.organisations.selectors import organisation_lookup
from quxiang.organisations.services import OrganisationMergeError, organisation_merge
from quxiang.registrations.models import Registration
from quxiang.testing.factories import StudentFactory, UserFactory, make_registration_row, make_uscc

pytestmark = pytest.mark.django_db


def org(serial: str, **fields) -> Organisation:
    values = {"uscc": make_uscc(serial=serial), "name": "上海申联智能科技有限公司"} | fields
    return Organisation.objects.create(**values)


def test_merge_keeps_name_and_code_fills_gaps_and_deletes_the_other():
    keep = org("MA1FL1001", contact_phone="021-58881234", region_id="310115")
    remove = org("MA1FL1002", name="上海申联智能科技有限公司（旧）", contact_phone="021-00000000",
                 address="张江路 665 号", postcode="201203", nature_id="39", region_id="310104")

    merged = organisation_merge(keep=keep, remove=remove)

    assert merged.pk == keep.pk
    merged.refresh_from_db()
    assert (merged.name, merged.uscc) == ("上海申联智能科技有限公司", keep.uscc)
    # Kept values win; blanks are filled from the removed row.
    assert (merged.contact_phone, merged.region_id) == ("021-58881234", "310115")
    assert (merged.address, merged.postcode, merged.nature_id) == ("张江路 665 号", "201203", "39")
    assert not Organisation.objects.filter(pk=remove.pk).exists()
    assert organisation_lookup(uscc=keep.uscc) == merged
    assert organisation_lookup(uscc=remove.uscc) == merged  # the old code is now an alias


def test_merge_leaves_registrations_as_typed():
    keep, remove = org("MA1FL1003"), org("MA1FL1004", name="旧名称")
    record = make_registration_row(student=StudentFactory(), org_uscc=remove.uscc, org_name="旧名称")

    organisation_merge(keep=keep, remove=remove)

    record = Registration.objects.get(pk=record.pk)
    assert (record.org_uscc, record.org_name) == (remove.uscc, "旧名称")


def test_merge_with_itself_is_refused():
    keep = org("MA1FL1005")
    with pytest.raises(OrganisationMergeError, match="自己"):
        organisation_merge(keep=keep, remove=keep)
    assert Organisation.objects.filter(pk=keep.pk).exists()


@pytest.fixture
def office_client(client):
    """The office as the admin sets it up: is_staff, in a group with the directory's permissions."""
    office = UserFactory(role=Role.OFFICE)
    user_role_rights_sync(user=office)  # what the admin does when it saves an office account
    client.force_login(office)
    return client


def test_admin_action_asks_which_to_keep_then_merges(office_client):
    a = org("MA1FL1006", address="")
    b = org("MA1FL1007", name="上海申联智能科技有限公司 ", address="张江路 665 号")
    url = reverse("admin:organisations_organisation_changelist")
    data = {"action": "merge_selected", "_selected_action": [a.pk, b.pk], "index": "0"}

    page = office_client.post(url, data)
    html = page.content.decode()
    assert page.status_code == 200 and "合并单位" in html and "保留这一条" in html
    assert a.uscc in html and b.uscc in html and "张江路 665 号" in html

    response = office_client.post(url, data | {"confirm": "1", "keep": str(b.pk)}, follow=True)
    assert "已将" in response.content.decode() and "合并到" in response.content.decode()
    assert list(Organisation.objects.values_list("pk", flat=True)) == [b.pk]
    assert LogEntry.objects.filter(object_id=str(a.pk), action_flag=DELETION).exists()


def test_admin_action_needs_exactly_two(office_client):
    a, b, c = org("MA1FL1008"), org("MA1FL1009"), org("MA1FL1010")
    url = reverse("admin:organisations_organisation_changelist")
    response = office_client.post(url, {"action": "merge_selected", "_selected_action": [a.pk, b.pk, c.pk],
                                        "index": "0"}, follow=True)
    assert "请恰好勾选两家单位" in response.content.decode()
    assert Organisation.objects.count() == 3


def test_directory_search_by_phone(office_client):
    org("MA1FL1011", name="甲公司", contact_phone="021-61234567")
    org("MA1FL1012", name="乙公司", contact_phone="021-70000000")
    html = office_client.get(reverse("admin:organisations_organisation_changelist"),
                             {"q": "021-61234567"}).content.decode()
    assert "甲公司" in html and "乙公司" not in html
