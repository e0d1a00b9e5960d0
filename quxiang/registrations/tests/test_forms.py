"""The wizard's forms: what each organisation kind asks for and how errors read."""

from __future__ import annotations

import pytest

from quxiang.reference.models import DestinationType
from quxiang.registrations.forms import ArchiveForm, OrganisationForm, TypeForm
from quxiang.testing.factories import abroad_org_data, employer_org_data, make_uscc, school_org_data

pytestmark = pytest.mark.django_db


def employer(**overrides) -> OrganisationForm:
    return OrganisationForm(employer_org_data(**overrides), org_kind="employer")


def errors(form) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {k: list(v) for k, v in form.errors.items()}


def test_valid_shanghai_employer():
    form = employer()
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["org_region"].code == "310115"
    assert data["org_nature"].code == "39"
    assert str(data["signed_on"]) == "2027-03-01"


def test_shanghai_employer_without_reg_no_error_on_that_field():
    errs = errors(employer(org_shanghai_reg_no=""))
    assert list(errs) == ["org_shanghai_reg_no"]
    assert "上海单位必须填写单位信息登记号" in errs["org_shanghai_reg_no"][0]


@pytest.mark.parametrize("region", ["330106", "110101", "440305"])
def test_non_shanghai_employer_without_reg_no_is_valid(region):
    form = employer(org_shanghai_reg_no="", org_region=region)
    assert form.is_valid(), form.errors


def test_bad_reg_no_format():
    errs = errors(employer(org_shanghai_reg_no="12345"))
    assert list(errs) == ["org_shanghai_reg_no"]
    assert "7 位数字" in errs["org_shanghai_reg_no"][0]


def test_bad_uscc_check_digit_message():
    good = make_uscc()
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    errs = errors(employer(org_uscc=bad))
    assert list(errs) == ["org_uscc"]
    assert errs["org_uscc"] == ["统一社会信用代码校验位不正确，请核对后重新输入。"]


@pytest.mark.parametrize("value,needle", [
    ("91310115MA1FL000", "18 位"),
    ("91310115MA1FL0001I", "I"),
])
def test_other_uscc_errors(value, needle):
    errs = errors(employer(org_uscc=value))
    assert needle in errs["org_uscc"][0]


def test_uscc_lower_case_with_spaces_is_normalised():
    good = make_uscc()
    form = employer(org_uscc=" " + good[:8].lower() + " " + good[8:].lower())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org_uscc"] == good


def test_phone_of_10_digits_and_postcode_of_5_digits():
    errs = errors(employer(org_contact_phone="1380013800", org_postcode="20120"))
    assert set(errs) == {"org_contact_phone", "org_postcode"}
    assert "联系电话格式不正确" in errs["org_contact_phone"][0]
    assert errs["org_postcode"] == ["邮编应为 6 位数字。"]


@pytest.mark.parametrize("region", ["999999", "31011", "abcdef", "310115; DROP TABLE"])
def test_unknown_region(region):
    errs = errors(employer(org_region=region))
    assert "所在地" in errs["org_region"][0]


def test_employer_missing_everything_reports_each_field_in_chinese():
    errs = errors(OrganisationForm({}, org_kind="employer"))
    assert set(errs) == {"org_uscc", "org_name", "org_nature", "org_industry", "org_region", "org_address",
                         "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on"}
    assert all("这个字段是必填项" in e[0] for e in errs.values()), errs


def test_bad_choices_and_dates():
    errs = errors(employer(org_nature="77", org_industry="ZZ", job_category="x", signed_on="2027-02-30"))
    assert set(errs) == {"org_nature", "org_industry", "job_category", "signed_on"}


def test_school_needs_only_uscc_name_region():
    form = OrganisationForm(school_org_data(), org_kind="school")
    assert set(form.fields) == {"org_uscc", "org_name", "org_region", "org_address", "org_postcode"}
    assert form.is_valid(), form.errors
    assert form.fields["org_name"].label == "录取学校全称"
    errs = errors(OrganisationForm({}, org_kind="school"))
    assert set(errs) == {"org_uscc", "org_name", "org_region"}


def test_school_in_shanghai_needs_no_reg_no_but_checks_postcode():
    form = OrganisationForm(school_org_data(org_postcode="2004"), org_kind="school")
    assert set(errors(form)) == {"org_postcode"}


@pytest.mark.parametrize("is_study,label", [(True, "就读专业"), (False, "工作岗位")])
def test_abroad_fields_and_labels(is_study, label):
    form = OrganisationForm(abroad_org_data(), org_kind="abroad", is_study=is_study)
    assert set(form.fields) == {"abroad_country", "org_name", "abroad_name_original", "programme",
                                "programme_original", "signed_on"}
    assert form.fields["programme"].label == label
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org_region"] is None
    assert form.cleaned_data["abroad_country"].code == "US"


def test_abroad_requires_country_names_and_programme():
    errs = errors(OrganisationForm({}, org_kind="abroad", is_study=True))
    assert set(errs) == {"abroad_country", "org_name", "abroad_name_original", "programme"}
    errs = errors(OrganisationForm(abroad_org_data(abroad_country="ZZ"), org_kind="abroad"))
    assert set(errs) == {"abroad_country"}


def test_abroad_ignores_employer_fields_sent_anyway():
    form = OrganisationForm(abroad_org_data(org_uscc="garbage", org_region="999999"), org_kind="abroad")
    assert form.is_valid(), form.errors
    assert "org_uscc" not in form.cleaned_data


def test_type_form():
    assert TypeForm({"destination_type": "dispatch_general"}).is_valid()
    errs = errors(TypeForm({}))
    assert errs["destination_type"] == ["请选择毕业去向类型。"]
    # A group is not a choice, nor an unknown key.
    for key in ("dispatch", "awaiting", "nonsense"):
        assert errors(TypeForm({"destination_type": key}))["destination_type"] == ["请选择有效的毕业去向类型。"]


def test_inactive_type_not_offered():
    from quxiang.reference.cache import reference_cache_invalidate
    from quxiang.reference.models import DestinationType

    assert TypeForm({"destination_type": "dispatch_startup"}).is_valid()  # the types are now in memory
    startup = DestinationType.objects.get(key="dispatch_startup")
    startup.is_active = False
    startup.save()  # as the admin does: the signal drops the copy in memory
    assert not TypeForm({"destination_type": "dispatch_startup"}).is_valid()
    # A bulk update sends no signal: whoever writes one invalidates the copy (reference/cache.py).
    DestinationType.objects.filter(key="dispatch").update(is_active=False)
    reference_cache_invalidate()
    assert not TypeForm({"destination_type": "dispatch_general"}).is_valid()


def archive_data(**overrides):
    data = {"origin_authority_name": "上海市学生事务中心", "archive_destination": "origin",
            "archive_unit": "上海市学生事务中心（毕业生档案服务）", "archive_address": "上海市徐汇区零陵路 583 号",
            "archive_postcode": "200030", "archive_contact": "", "archive_phone": "021-64825105"}
    data.update(overrides)
    return data


def test_archive_form():
    assert ArchiveForm(archive_data()).is_valid()
    errs = errors(ArchiveForm(archive_data(archive_postcode="2000", archive_phone="12345", archive_destination="x")))
    assert set(errs) == {"archive_postcode", "archive_phone", "archive_destination"}
    assert errs["archive_postcode"] == ["邮编应为 6 位数字。"]


# --- rules that depend on the type (issue 9) ----------------------------------------------------------

@pytest.mark.parametrize(("key", "nature"), [("dispatch_military", "40"), ("dispatch_civil_service", "10")])
def test_a_type_that_fixes_the_nature_takes_no_other(key, nature):
    dtype = DestinationType.objects.get(key=key)
    form = OrganisationForm(employer_org_data(org_nature="39"), destination_type=dtype)
    assert not form.is_valid()
    assert list(form.errors) == ["org_nature"]
    assert form.errors.as_data()["org_nature"][0].code == "implied_nature"
    assert OrganisationForm(employer_org_data(org_nature=nature), destination_type=dtype).is_valid()


@pytest.mark.parametrize(("kind", "label"), [("employer", "签约日期"), ("abroad", "录取或签证日期")])
def test_the_date_is_labelled_for_the_kind(kind, label):
    assert OrganisationForm(org_kind=kind).fields["signed_on"].label == label


@pytest.mark.parametrize(("kind", "ok"), [("employer", True), ("school", False), ("abroad", False)])
def test_the_archive_goes_to_the_employer_only_when_there_is_one(kind, ok):
    form = ArchiveForm(archive_data(archive_destination="employer"), org_kind=kind)
    assert form.is_valid() is ok
    if not ok:
        assert "不能转至签约单位" in form.errors["archive_destination"][0]
