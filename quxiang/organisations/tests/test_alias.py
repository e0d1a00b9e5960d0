"""After a merge the removed row's USCC still finds the surviving organisation (an alias), in the
selector, the web 检索匹配 and the API lookup; a later verified record with the old code feeds the survivor."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from quxiang.organisations.models import Organisation, OrganisationAlias, OrganisationSource
from quxiang.organisations.selectors import organisation_lookup
from quxiang.organisations.services import organisation_merge, organisation_upsert_from_registration
from quxiang.testing.factories import StudentFactory, make_registration, make_registration_row, make_uscc

pytestmark = pytest.mark.django_db


def org(serial: str, **fields) -> Organisation:
    values = {"uscc": make_uscc(serial=serial), "name": "上海申联智能科技有限公司"} | fields
    return Organisation.objects.create(**values)


def test_the_removed_code_finds_the_survivor():
    keep, remove = org("MA1AL0001"), org("MA1AL0002", name="上海申联智能科技有限公司（旧）")
    old_code = remove.uscc

    organisation_merge(keep=keep, remove=remove)

    assert organisation_lookup(uscc=old_code) == keep
    # Typed the way students type it: lower case, spaces and dashes.
    assert organisation_lookup(uscc=f"{old_code[:4]}-{old_code[4:10].lower()} {old_code[10:]}") == keep
    assert organisation_lookup(uscc=keep.uscc) == keep
    assert Organisation.objects.count() == 1


def test_aliases_follow_a_second_merge():
    a, b, c = org("MA1AL0003"), org("MA1AL0004"), org("MA1AL0005")
    codes = (a.uscc, b.uscc)
    organisation_merge(keep=b, remove=a)  # a's code → b
    organisation_merge(keep=c, remove=b)  # b's code, and a's with it → c

    assert [organisation_lookup(uscc=code) for code in codes] == [c, c]
    assert set(OrganisationAlias.objects.values_list("uscc", "organisation")) == {(a.uscc, c.pk), (b.uscc, c.pk)}


def test_a_row_of_its_own_wins_over_an_alias():
    keep, remove = org("MA1AL0006"), org("MA1AL0007")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)
    # The office later enters the old code as an organisation of its own (it was not a typo after all).
    own = org("MA1AL0007", name="另一家公司")
    assert own.uscc == old_code
    assert organisation_lookup(uscc=old_code) == own


def test_merging_back_drops_the_alias_of_the_kept_code():
    a, b = org("MA1AL0008"), org("MA1AL0009")
    organisation_merge(keep=a, remove=b)
    b_again = org("MA1AL0009", name="重新录入")
    organisation_merge(keep=b_again, remove=a)

    assert organisation_lookup(uscc=b_again.uscc) == b_again
    assert organisation_lookup(uscc=a.uscc) == b_again
    assert not OrganisationAlias.objects.filter(uscc=b_again.uscc).exists()


def test_a_verified_record_with_the_old_code_does_not_bring_the_removed_row_back():
    keep, remove = org("MA1AL0010", address=""), org("MA1AL0011")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)
    record = make_registration_row(student=StudentFactory(), status="verified", org_uscc=old_code,
                                   org_name="旧名称", org_address="张江路 665 号", org_region_id="310115")

    found = organisation_upsert_from_registration(registration=record)

    assert found == keep
    assert list(Organisation.objects.values_list("pk", flat=True)) == [keep.pk]
    keep.refresh_from_db()
    # The survivor keeps its name and code and only fills its blanks from the record.
    assert (keep.name, keep.uscc, keep.address) == ("上海申联智能科技有限公司", make_uscc(serial="MA1AL0010"),
                                                   "张江路 665 号")
    assert keep.source == OrganisationSource.OFFICE


def test_web_lookup_by_the_old_code_fills_the_form_with_the_survivor(client):
    keep = org("MA1AL0012", name="上海合并后科技有限公司", address="科苑路 1 号")
    remove = org("MA1AL0013", name="上海合并前科技有限公司")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)
    reg = make_registration()
    client.force_login(reg.student.user)

    r = client.post(reverse("registrations:step", kwargs={"step": "organisation"}),
                    {"org_uscc": old_code, "action": "lookup"})

    page = htmllib.unescape(r.content.decode())
    assert "已匹配到单位：上海合并后科技有限公司" in page
    uscc_input = re.search(r'<input[^>]*name="org_uscc"[^>]*>', page).group(0)
    assert f'value="{keep.uscc}"' in uscc_input  # the current code replaces the old one


def test_admin_finds_the_survivor_by_the_old_code_and_lists_it(client):
    from quxiang.accounts.models import Role
    from quxiang.accounts.services import user_role_rights_sync
    from quxiang.testing.factories import UserFactory

    office = UserFactory(role=Role.OFFICE)
    user_role_rights_sync(user=office)
    client.force_login(office)
    keep, remove = org("MA1AL0014", name="甲公司"), org("MA1AL0015", name="乙公司")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)

    found = client.get(reverse("admin:organisations_organisation_changelist"), {"q": old_code}).content.decode()
    assert "甲公司" in found
    change = client.get(reverse("admin:organisations_organisation_change", args=[keep.pk])).content.decode()
    assert old_code in change and "单位曾用代码" in change


def test_a_lookup_is_one_query_for_a_code_with_its_own_row_and_two_otherwise(django_assert_num_queries):
    """The lookup is on every student's organisation step: one round trip for a code in the directory, with
    the code table rows the form shows (nature, industry, region) in it; an unknown code costs one more (the
    aliases), an old code after a merge one more again (the survivor's row)."""
    keep, remove = org("MA1AL0011"), org("MA1AL0012")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)

    for code, expected, queries in ((keep.uscc, keep, 1), (old_code, keep, 3), (make_uscc(serial="MA1AL0013"), None, 2)):
        with django_assert_num_queries(queries):
            found = organisation_lookup(uscc=code)
            if found is not None:
                str(found.region), str(found.nature), str(found.industry)
        assert found == expected


def test_a_row_of_its_own_wins_over_an_alias_with_the_same_code():
    keep, remove = org("MA1AL0014"), org("MA1AL0015")
    old_code = remove.uscc
    organisation_merge(keep=keep, remove=remove)
    again = org("MA1AL0015", name="上海申联智能科技有限公司（重新登记）")  # the old code registered anew

    assert again.uscc == old_code
    assert organisation_lookup(uscc=old_code) == again
