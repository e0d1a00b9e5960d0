"""Each integrity check on crafted data: the planted case is flagged, its innocent look-alike is not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from quxiang.integrity import checks
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    make_counselor,
    make_evidence_row,
    make_registration_row,
    make_uscc,
    make_verified_row,
)

pytestmark = pytest.mark.django_db

SHA_A = "a" * 64
SHA_B = "b" * 64


def flagged_ids(findings) -> set[int]:
    return {i for f in findings for i in f.registration_ids}


def org_row(*, uscc: str, name: str, phone: str = "021-58881234", region: str = "310115", **kwargs):
    student = kwargs.pop("student", None) or StudentFactory()
    return make_verified_row(student=student, org_uscc=uscc, org_name=name, org_contact_phone=phone,
                             org_region_id=region, **kwargs)


# --- (a) evidence reuse ------------------------------------------------------------------------------


def test_same_file_on_two_students_is_flagged():
    first, second = org_row(uscc=make_uscc(serial="MA1FL0101"), name="甲公司"), org_row(
        uscc=make_uscc(serial="MA1FL0102"), name="乙公司")
    make_evidence_row(registration=first, sha256=SHA_A, name="协议书.pdf")
    make_evidence_row(registration=second, sha256=SHA_A, name="扫描件.pdf")

    findings = checks.evidence_reuse_check()

    assert len(findings) == 1
    assert set(findings[0].registration_ids) == {first.pk, second.pk}
    assert "2 名不同学生" in findings[0].reason
    assert "协议书.pdf" in findings[0].reason and "扫描件.pdf" in findings[0].reason


def test_same_file_uploaded_twice_by_one_student_is_not_flagged():
    student = StudentFactory()
    verified = org_row(uscc=make_uscc(serial="MA1FL0103"), name="丙公司", student=student)
    change = make_registration_row(student=student, status="submitted", version=2, changed_from=verified)
    make_evidence_row(registration=verified, sha256=SHA_B)
    make_evidence_row(registration=verified, sha256=SHA_B, name="再次上传.pdf")
    make_evidence_row(registration=change, sha256=SHA_B)

    assert checks.evidence_reuse_check() == []


def test_file_on_a_draft_is_not_on_file_yet():
    on_file = org_row(uscc=make_uscc(serial="MA1FL0104"), name="丁公司")
    draft = make_registration_row(student=StudentFactory(), status="draft")
    make_evidence_row(registration=on_file, sha256=SHA_A)
    make_evidence_row(registration=draft, sha256=SHA_A)

    assert checks.evidence_reuse_check() == []


# --- (b) one USCC, different names; location against the USCC ---------------------------------------------


def test_one_uscc_under_two_names_is_flagged():
    uscc = make_uscc(serial="MA1FL0201")
    a = org_row(uscc=uscc, name="上海申联智能科技有限公司")
    b = org_row(uscc=uscc, name="上海申联商贸有限公司")
    org_row(uscc=make_uscc(serial="MA1FL0202"), name="另一家公司")

    findings = checks.uscc_name_conflict_check()

    assert [set(f.registration_ids) for f in findings] == [{a.pk, b.pk}]
    assert uscc in findings[0].reason
    assert "“上海申联商贸有限公司”" in findings[0].reason and "“上海申联智能科技有限公司”" in findings[0].reason


def test_same_name_typed_with_spaces_and_fullwidth_brackets_is_not_flagged():
    uscc = make_uscc(serial="MA1FL0203")
    org_row(uscc=uscc, name="上海申联（浦东）科技有限公司")
    org_row(uscc=uscc, name="上海申联(浦东)科技有限公司")
    org_row(uscc=uscc, name="上海 申联（浦东） 科技有限公司\u3000")

    assert checks.uscc_name_conflict_check() == []


def test_location_in_another_province_than_the_uscc_is_flagged():
    shanghai_uscc = make_uscc(region="310115", serial="MA1FL0301")
    wrong = org_row(uscc=shanghai_uscc, name="上海汇星光电科技有限公司", region="330114")

    findings = checks.uscc_region_conflict_check()

    assert [f.registration_ids for f in findings] == [(wrong.pk,)]
    assert "310115" in findings[0].reason and "上海市" in findings[0].reason
    assert "浙江省" in findings[0].reason


def test_same_province_and_national_level_uscc_are_not_flagged():
    # Registered with the Shanghai (province-level) authority, located in a Shanghai district.
    org_row(uscc=make_uscc(region="310000", serial="MA1FL0302"), name="上海某集团", region="310115")
    # Registered with a national-level authority (100000): may be located anywhere.
    org_row(uscc=make_uscc(region="100000", serial="MA1FL0303"), name="中国某总公司", region="330114")
    # Abroad: no region.
    make_verified_row(student=StudentFactory(), destination_type="abroad_study", org_name="Columbia University")

    assert checks.uscc_region_conflict_check() == []


# --- (c) one phone for several organisations; the student's own phone --------------------------------


def test_one_phone_for_two_organisations_is_flagged():
    a = org_row(uscc=make_uscc(serial="MA1FL0401"), name="甲科技有限公司", phone="021-66668888")
    b = org_row(uscc=make_uscc(serial="MA1FL0402"), name="乙贸易有限公司", phone="02166668888")

    findings = checks.phone_shared_check()

    assert [set(f.registration_ids) for f in findings] == [{a.pk, b.pk}]
    assert "2 家不同单位" in findings[0].reason
    assert "021-66668888 / 02166668888" in findings[0].reason  # as typed
    assert "甲科技有限公司" in findings[0].reason and "乙贸易有限公司" in findings[0].reason


def test_phone_shared_by_branches_with_the_same_uscc_is_not_flagged():
    uscc = make_uscc(serial="MA1FL0403")
    org_row(uscc=uscc, name="上海东浦商业银行股份有限公司", phone="021-77779999", org_address="世纪大道 1168 号")
    org_row(uscc=uscc, name="上海东浦商业银行股份有限公司", phone="021-7777 9999", org_address="南京东路 300 号")

    assert checks.phone_shared_check() == []


def test_organisation_phone_equal_to_the_students_mobile_is_flagged():
    student = StudentFactory(phone="13912345678")
    record = org_row(uscc=make_uscc(serial="MA1FL0404"), name="某公司", phone="139-1234-5678", student=student)

    findings = checks.phone_is_students_own_check()

    assert [f.registration_ids for f in findings] == [(record.pk,)]
    assert "13912345678" in findings[0].reason


def test_own_phone_for_ones_own_startup_is_not_flagged():
    student = StudentFactory(phone="13912345679")
    org_row(uscc=make_uscc(serial="MA1FL0405"), name="学生自己的公司", phone="13912345679", student=student,
            destination_type="dispatch_startup")
    org_row(uscc=make_uscc(serial="MA1FL0406"), name="某公司", phone="021-58881234",
            student=StudentFactory(phone="13912345670"))

    assert checks.phone_is_students_own_check() == []


# --- (d) a college's share of flexible employment ------------------------------------------------------


def _college_with(*, name: str, general: int = 0, flexible: int = 0, freelance: int = 0, startup: int = 0,
                  abroad_work: int = 0, awaiting: int = 0):
    cls = SchoolClassFactory(major__college=CollegeFactory(name=name))
    made = {}
    for key, n in (("dispatch_general", general), ("flexible_other", flexible), ("flexible_freelance", freelance),
                   ("dispatch_startup", startup), ("abroad_work", abroad_work), ("awaiting_job_hunting", awaiting)):
        made[key] = [make_verified_row(student=StudentFactory(school_class=cls), destination_type=key).pk
                     for _ in range(n)]
    return cls.major.college, made


def test_college_far_above_the_school_share_is_flagged():
    _hot, made = _college_with(name="管理学院", general=4, flexible=3, freelance=2, startup=1, awaiting=5)
    _college_with(name="机械工程学院", general=19, flexible=1)
    _college_with(name="外语学院", general=20)

    findings = checks.flexible_share_check()

    assert len(findings) == 1
    flexible_ids = set(made["flexible_other"] + made["flexible_freelance"] + made["dispatch_startup"])
    assert set(findings[0].registration_ids) == flexible_ids
    reason = findings[0].reason
    # 6 of 10 placed (the 5 待就业 are not placed); school: 7 of 50.
    assert "管理学院" in reason and "6 条" in reason and "10 条的 60%" in reason and "14%（7/50）" in reason


def test_high_share_below_the_minimum_count_is_not_flagged():
    _college_with(name="外语学院", general=0, flexible=2, freelance=2)  # 100 %, but 4 < 5 records
    _college_with(name="机械工程学院", general=30, flexible=1)
    # 出国工作 shares category 12 with 灵活就业-其他 but is not flexible employment.
    _college_with(name="光电学院", general=2, abroad_work=8)

    assert checks.flexible_share_check() == []
    with override_settings(QUXIANG_INTEGRITY={"FLEXIBLE_MIN_RECORDS": 3}):
        assert [f.reason.split("：")[0] for f in checks.flexible_share_check()] == ["外语学院"]


# --- (e) verified in bulk within seconds of submission -------------------------------------------------


def test_burst_of_verifications_seconds_after_submission_is_flagged():
    counselor = make_counselor(full_name="王老师")
    cls = SchoolClassFactory(counselor=counselor)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    burst = [
        make_verified_row(student=StudentFactory(school_class=cls), verifier=counselor,
                          submitted_at=start + dt.timedelta(seconds=40 * i),
                          verified_at=start + dt.timedelta(seconds=40 * i + 8)).pk
        for i in range(4)
    ]

    findings = checks.quick_verification_check()

    assert [set(f.registration_ids) for f in findings] == [set(burst)]
    assert "王老师" in findings[0].reason and "4 条记录" in findings[0].reason and "60 秒内" in findings[0].reason


def test_one_quick_verification_alone_or_a_slow_bulk_verify_is_not_flagged():
    counselor = make_counselor(full_name="李老师")
    cls = SchoolClassFactory(counselor=counselor)
    now = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    # The student stood at the desk: verified 5 s after submission, the only quick one.
    make_verified_row(student=StudentFactory(school_class=cls), verifier=counselor, submitted_at=now,
                      verified_at=now + dt.timedelta(seconds=5))
    # The same counselor bulk-verifies five records submitted two days earlier, within one minute.
    for i in range(5):
        make_verified_row(student=StudentFactory(school_class=cls), verifier=counselor,
                          submitted_at=now - dt.timedelta(days=2, minutes=i),
                          verified_at=now + dt.timedelta(seconds=30 + i * 5))
    # Quick verifications by the same counselor, but hours apart.
    for hours in (1, 2):
        t = now - dt.timedelta(hours=hours * 5)
        make_verified_row(student=StudentFactory(school_class=cls), verifier=counselor, submitted_at=t,
                          verified_at=t + dt.timedelta(seconds=10))

    assert checks.quick_verification_check() == []


def test_year_filter_limits_every_check():
    uscc = make_uscc(serial="MA1FL0501")
    org_row(uscc=uscc, name="甲", student=StudentFactory(graduation_year=2026))
    org_row(uscc=uscc, name="乙", student=StudentFactory(graduation_year=2027))

    assert len(checks.uscc_name_conflict_check()) == 1
    assert checks.uscc_name_conflict_check(year=2027) == []
    assert all(findings == [] for _check, findings in checks.checks_run(year=2027))


def test_burst_spread_across_the_window_is_one_finding():
    counselor = make_counselor(full_name="赵老师")
    cls = SchoolClassFactory(counselor=counselor)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    # 0 s, 500 s, 1000 s: only the middle one has both others within ±600 s, yet all three belong to the burst.
    ids = {
        make_verified_row(student=StudentFactory(school_class=cls), verifier=counselor,
                          submitted_at=start + dt.timedelta(seconds=s),
                          verified_at=start + dt.timedelta(seconds=s + 3)).pk
        for s in (0, 500, 1000)
    }
    findings = checks.quick_verification_check()
    assert [set(f.registration_ids) for f in findings] == [ids]
    assert "3 条记录" in findings[0].reason
    with override_settings(QUXIANG_INTEGRITY={"QUICK_VERIFY_MIN_RECORDS": 4}):
        assert checks.quick_verification_check() == []


# --- issue 12's planted cohort (bench/trust): typing variants and a big employer's phone -------------------


def test_one_uscc_under_typing_variants_of_one_name_is_not_flagged():
    uscc = make_uscc(serial="MA1FL0501")
    for name in ("上海浦江物流有限公司", "上海浦江物流股份有限公司", "上海浦江物流有限责任公司", "上海\u3000浦江物流有限公司"):
        org_row(uscc=uscc, name=name)
    branch = make_uscc(region="310151", serial="MA1FL0502")
    org_row(uscc=branch, name="中国移动通信集团上海有限公司崇明分公司")
    org_row(uscc=branch, name="中国移动崇明分公司")  # an abbreviation of the same branch
    # ... while two organisations under one code are still flagged.
    shell = make_uscc(serial="MA1FL0503")
    a, b = org_row(uscc=shell, name="上海浦江物流有限公司"), org_row(uscc=shell, name="上海申联智能科技有限公司")

    findings = checks.uscc_name_conflict_check()

    assert [set(f.registration_ids) for f in findings] == [{a.pk, b.pk}]
    assert "2 个不同的单位名称" in findings[0].reason


def test_a_big_employers_phone_typed_with_another_code_flags_only_that_record():
    employer = make_uscc(serial="MA1FL0511")
    staff = [org_row(uscc=employer, name="上海东方教育培训有限公司", phone="021-66086637") for _ in range(4)]
    odd = org_row(uscc=make_uscc(serial="MA1FL0512"), name="上海东方教育培训有限公司", phone="02166086637")

    findings = checks.phone_shared_check()

    assert [f.registration_ids for f in findings] == [(odd.pk,)]
    assert "4 条记录" in findings[0].reason and employer in findings[0].reason
    assert not {s.pk for s in staff} & set(findings[0].registration_ids)
    # Two records against two (no majority): both codes' records are flagged, as before.
    other = make_uscc(serial="MA1FL0513")
    pair = [org_row(uscc=other, name="甲公司", phone="021-12345678"), org_row(uscc=other, name="甲公司", phone="021-12345678"),
            org_row(uscc=make_uscc(serial="MA1FL0514"), name="乙公司", phone="021-12345678"),
            org_row(uscc=make_uscc(serial="MA1FL0515"), name="丙公司", phone="021-12345678")]
    assert {r.pk for r in pair} in [set(f.registration_ids) for f in checks.phone_shared_check()]
