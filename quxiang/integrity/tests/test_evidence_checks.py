"""The checks on what the evidence says and on class clusters (issue 12): each planted case is flagged, its
innocent look-alikes are not. Readings are written with the text a reader would store (their key fields
extracted by the real evidence/fields.py); one test goes through the real reader on a text-layer PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from quxiang.evidence.fields import evidence_fields_extract
from quxiang.evidence.models import EvidenceReading, ReadingStatus
from quxiang.evidence.reading import evidence_read
from quxiang.evidence.services import evidence_add
from quxiang.evidence.tests.helpers import text_pdf_bytes
from quxiang.integrity import checks
from quxiang.integrity.evidence_checks import (
    class_cluster_check,
    evidence_mismatch_check,
    evidence_near_duplicate_check,
)
from quxiang.registrations import services
from quxiang.reviews.services import registration_verify
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    counselor_of,
    make_evidence_row,
    make_national_id,
    make_registration,
    make_registration_row,
    make_uscc,
    make_verified_row,
)

pytestmark = pytest.mark.django_db

ORG, USCC = "上海示范科技有限公司", make_uscc(serial="MA1EW0001")
_serial = itertools.count(1)


def flagged(findings) -> set[int]:
    return {i for f in findings for i in f.registration_ids}


def agreement_text(*, org: str = ORG, uscc: str = USCC, name: str, number: str = "", job: str = "软件工程师",
                   day: int = 3, address: str = "上海市浦东新区张江路 88 号") -> str:
    number = number or f"23900{next(_serial):05d}"
    return "\n".join([
        "全国普通高等学校毕业生就业协议书",
        f"甲方（用人单位）：{org}",
        f"统一社会信用代码：{uscc}",
        f"单位地址：{address}",
        f"乙方（毕业生）：{name}",
        f"学号：{number}  专业：计算机科学与技术",
        f"身份证号：{make_national_id(birth=f'2004{day % 12 + 1:02d}{len(name) * 7 % 28 + 1:02d}', seq=sum(map(ord, name)))}",
        f"联系电话：139{sum(map(ord, name)) % 10**8:08d}",
        f"工作岗位：{job}  月薪：{9000 + day * 100} 元",
        "经甲乙双方协商一致，乙方自愿到甲方工作，签订本协议。",
        "甲方应依法为乙方缴纳社会保险和住房公积金。",
        "本协议一式四份，甲乙双方及学校各执一份。",
        f"签订日期：2027年3月{day}日",
    ])


def read_evidence(registration, text: str, *, status: str = ReadingStatus.READ, sha: str = "",
                  name: str = "协议书.jpg"):
    """An evidence file of the record and the reading a reader stored for it."""
    sha = sha or hashlib.sha256(f"{registration.pk}:{text}:{next(_serial)}".encode()).hexdigest()
    evidence = make_evidence_row(registration=registration, sha256=sha, name=name)
    fields = evidence_fields_extract(text=text).as_dict() if status == ReadingStatus.READ else {}
    EvidenceReading.objects.create(evidence=evidence, sha256=sha, status=status, text=text, fields=fields)
    return evidence


def student(**kwargs):
    """A roster student with a national ID of its own (the factory's repeat after 99 students)."""
    n = next(_serial)
    return StudentFactory(national_id=make_national_id(birth=f"2005{n % 12 + 1:02d}{n // 12 % 28 + 1:02d}", seq=n),
                          **kwargs)


def record(*, name: str, org: str = ORG, uscc: str = USCC, school_class=None, **fields):
    student_ = student(name=name, **({"school_class": school_class} if school_class else {}))
    return make_verified_row(student=student_, org_name=org, org_uscc=uscc, **fields)


# --- evidence does not match the record ----------------------------------------------------------------------


def test_evidence_naming_another_organisation_is_flagged():
    reg = record(name="李明华", org="上海申联智能科技有限公司", uscc=make_uscc(serial="MA1EW0002"))
    read_evidence(reg, agreement_text(name="李明华"))  # 甲方 上海示范科技有限公司, its own USCC

    findings = evidence_mismatch_check()

    assert [f.registration_ids for f in findings] == [(reg.pk,)]
    reason = findings[0].reason
    assert "“上海示范科技有限公司”" in reason and "上海申联智能科技有限公司" in reason and USCC in reason


def test_evidence_with_another_valid_uscc_is_flagged():
    reg = record(name="李明华", uscc=make_uscc(serial="MA1EW0003"))  # the right name, somebody else's code
    read_evidence(reg, agreement_text(name="李明华"))

    findings = evidence_mismatch_check()

    assert [f.registration_ids for f in findings] == [(reg.pk,)]
    assert USCC in findings[0].reason and make_uscc(serial="MA1EW0003") in findings[0].reason
    assert "单位是" not in findings[0].reason  # the organisation itself matches


def test_evidence_of_a_classmate_instead_of_the_owner_is_flagged():
    cls = SchoolClassFactory()
    classmate = student(name="王小红", school_class=cls, student_number="2390077001")
    reg = record(name="李明华", school_class=cls)
    read_evidence(reg, agreement_text(name="王小红"))

    findings = evidence_mismatch_check()

    assert [f.registration_ids for f in findings] == [(reg.pk,)]
    assert "李明华" in findings[0].reason and "“王小红”" in findings[0].reason
    assert classmate.student_number in findings[0].reason


def test_a_classmates_name_in_the_text_without_a_label_is_flagged_too():
    cls = SchoolClassFactory()
    student(name="欧阳娜娜", school_class=cls)
    reg = record(name="李明华", school_class=cls)
    text = agreement_text(name="李明华").replace("乙方（毕业生）：李明华", "毕业生签字 欧阳娜娜")
    read_evidence(reg, text)

    assert flagged(evidence_mismatch_check()) == {reg.pk}


def test_typing_variants_and_a_county_branch_are_not_flagged():
    # 有限责任公司 for 有限公司, full-width brackets, spaces; the USCC typed in lower case.
    a = record(name="李明华", org="上海 示范科技有限责任公司", uscc=USCC.lower())
    read_evidence(a, agreement_text(name="李明华"))
    b = record(name="张伟", org="上海示范科技（集团）有限公司", uscc=make_uscc(serial="MA1EW0004"))
    read_evidence(b, agreement_text(name="张伟", org="上海示范科技(集团)股份有限公司", uscc=make_uscc(serial="MA1EW0004")))
    # The agreement was signed by the county branch, which has a USCC of its own; the student typed the company.
    branch_uscc = make_uscc(region="310151", serial="MA1EW0005")
    c = record(name="陈思远", org="中国移动通信集团上海有限公司", uscc=make_uscc(serial="MA1EW0006"))
    read_evidence(c, agreement_text(name="陈思远", org="中国移动通信集团上海有限公司崇明分公司", uscc=branch_uscc))

    assert evidence_mismatch_check() == []


def test_unread_unreadable_failed_or_silent_evidence_is_not_flagged():
    other_org = agreement_text(name="李明华", org="上海申联商贸有限公司", uscc=make_uscc(serial="MA1EW0007"))
    unreadable = record(name="李明华")
    read_evidence(unreadable, other_org, status=ReadingStatus.UNREADABLE)
    failed = record(name="张伟")
    read_evidence(failed, other_org, status=ReadingStatus.FAILED)
    not_read = record(name="刘洋")
    make_evidence_row(registration=not_read, sha256="c" * 64)
    # Read, but the file was replaced since (the reading is of other bytes).
    stale = record(name="赵敏")
    evidence = read_evidence(stale, other_org)
    type(evidence).objects.filter(pk=evidence.pk).update(sha256="d" * 64)
    # Read, and it names nothing: a photo of a wall that happened to pass, a blank form.
    silent = record(name="孙悦")
    read_evidence(silent, "毕业生就业推荐表\n备注 无")
    # An OCR slip in the code (wrong check digit) is no code at all, let alone another organisation's.
    slip = record(name="周杰")
    read_evidence(slip, agreement_text(name="周杰", uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1")))

    assert evidence_mismatch_check() == []


def test_another_name_that_is_no_roster_student_is_not_flagged():
    # The evidence names somebody (乙方 王某某) who is on no roster, e.g. the agreement's own example line:
    # the record page shows ✗ for the name, but the check asks for another student.
    reg = record(name="李明华")
    read_evidence(reg, agreement_text(name="王某某"))
    assert evidence_mismatch_check() == []


def test_one_of_several_files_with_the_typed_organisation_is_enough():
    reg = record(name="李明华")
    read_evidence(reg, agreement_text(name="李明华"))
    read_evidence(reg, "上海申联商贸有限公司 实习证明\n兹证明李明华同学在我单位实习。")
    assert evidence_mismatch_check() == []


def test_a_text_pdf_read_by_the_real_reader_that_names_another_company_is_flagged():
    reg = make_registration(complete=True, name="李明华")  # types 上海测试科技有限公司 (fill_organisation)
    reg.evidence_files.all().delete()
    pdf = text_pdf_bytes(agreement_text(name="李明华", org="上海申联商贸有限公司",
                                        uscc=make_uscc(serial="MA1EW0008")).split("\n"))
    evidence = evidence_add(registration=reg, upload=SimpleUploadedFile("协议书.pdf", pdf), actor=reg.student.user)
    assert evidence_read(evidence_id=evidence.pk).status == ReadingStatus.READ
    assert services.registration_submit(registration=reg, actor=reg.student.user)
    registration_verify(registration=reg, actor=counselor_of(reg.student))

    findings = evidence_mismatch_check()

    assert [f.registration_ids for f in findings] == [(reg.pk,)]
    assert "上海申联商贸有限公司" in findings[0].reason and "上海测试科技有限公司" in findings[0].reason


# --- near-duplicate evidence across students ------------------------------------------------------------------

PEOPLE = ["王小红", "张伟", "欧阳娜娜", "陈思远", "刘洋", "赵敏", "孙悦", "周杰", "吴昊", "郑爽", "冯磊", "何静"]
ORGS = [("北京远方物流有限责任公司", "MA1EW0101"), ("杭州云栖数据股份有限公司", "MA1EW0102"),
        ("深圳前海金融服务有限公司", "MA1EW0103"), ("苏州工业园区某某电子有限公司", "MA1EW0104")]
JOBS = ["销售代表", "数据分析师", "运营专员", "测试工程师"]


def template_cohort() -> dict[str, object]:
    """Twelve students with their own agreements from one template (other names, companies, jobs, dates)."""
    made = {}
    for i, name in enumerate(PEOPLE):
        org, serial = ORGS[i % 4]
        reg = record(name=name, org=org, uscc=make_uscc(serial=serial))
        read_evidence(reg, agreement_text(name=name, org=org, uscc=make_uscc(serial=serial), job=JOBS[i % 4],
                                          day=5 + i, address=f"某市某区某路 {10 + i} 号"))
        made[name] = reg
    return made


def ocr_copy(text: str) -> str:
    """What OCR reads from a resized, cropped re-photograph of the page: slips, ASCII colons, a line broken
    in two, the bottom line cut off."""
    text = text.replace("张江路", "张汪路").replace("科学", "科字").replace("：", ":").replace("  专业", "\n专业")
    return "\n".join(text.split("\n")[:-1])


def test_copies_of_one_agreement_on_other_students_are_flagged_together():
    cohort = template_cohort()
    original = record(name="李明华")
    text = agreement_text(name="李明华", number="2390000101")
    read_evidence(original, text, name="李明华协议书.jpg")
    copies = [record(name=n) for n in ("韩梅梅", "林涛")]
    read_evidence(copies[0], ocr_copy(text), name="协议书.png")
    read_evidence(copies[1], text.replace("本协议一式四份", "本协议一式四伤"), name="扫描.jpg")

    findings = evidence_near_duplicate_check()

    assert [set(f.registration_ids) for f in findings] == [{original.pk, *(c.pk for c in copies)}]
    assert "3 名学生" in findings[0].reason and "李明华协议书.jpg" in findings[0].reason
    assert not flagged(findings) & {r.pk for r in cohort.values()}


def test_agreements_from_one_template_a_big_employer_and_a_same_day_hire_are_not_flagged():
    template_cohort()
    # One big employer: eight students with their own agreements from its template.
    for i, name in enumerate(["韩梅梅", "林涛", "高远", "宋佳", "唐宁", "许诺", "曹阳", "彭博"]):
        read_evidence(record(name=name), agreement_text(name=name, job=JOBS[i % 4], day=10 + i))
    # Two students hired by one small company on the same day for the same job: only the personal lines differ.
    small, serial = "上海小微软件有限公司", make_uscc(serial="MA1EW0201")
    for name in ("钱多多", "孔明"):
        read_evidence(record(name=name, org=small, uscc=serial),
                      agreement_text(name=name, org=small, uscc=serial, day=8, address="上海市徐汇区漕溪北路 1 号"))

    assert evidence_near_duplicate_check() == []


def test_one_students_own_files_and_byte_copies_are_not_near_duplicates():
    template_cohort()
    owner = student(name="李明华")
    verified = make_verified_row(student=owner, org_name=ORG, org_uscc=USCC)
    text = agreement_text(name="李明华")
    read_evidence(verified, text)
    read_evidence(verified, ocr_copy(text), name="再次上传.jpg")  # the same student, twice
    # The very same bytes on two other students: the file-hash check's finding (evidence_reuse), not this one's.
    theirs = agreement_text(name="韩梅梅", org="上海申联商贸有限公司", uscc=make_uscc(serial="MA1EW0401"), day=21)
    read_evidence(record(name="韩梅梅"), theirs, sha="e" * 64)
    read_evidence(record(name="林涛"), theirs, sha="e" * 64)

    assert evidence_near_duplicate_check() == []
    assert len(checks.evidence_reuse_check()) == 1


def test_a_large_ring_of_copies_is_not_mistaken_for_a_template():
    template_cohort()
    text = agreement_text(name="李明华", number="2390000101")
    ring = [record(name=n) for n in ("韩梅梅", "林涛", "高远", "宋佳", "唐宁", "许诺", "曹阳")]  # 7 ≥ TEMPLATE_MIN_DOCS
    for i, reg in enumerate(ring):
        read_evidence(reg, text.replace("张江路", "张江路" if i % 2 else "张汪路"))

    assert [set(f.registration_ids) for f in evidence_near_duplicate_check()] == [{r.pk for r in ring}]


def test_the_content_cache_is_kept_per_sha256_and_refilled_when_the_file_changes():
    template_cohort()
    original = record(name="李明华")
    text = agreement_text(name="李明华")
    read_evidence(original, text)
    copy = record(name="韩梅梅")
    evidence = read_evidence(copy, ocr_copy(text))
    read_at = EvidenceReading.objects.get(evidence=evidence).read_at

    assert len(evidence_near_duplicate_check()) == 1
    reading = EvidenceReading.objects.get(evidence=evidence)
    assert reading.content_for == reading.sha256 and len(bytes(reading.content_signature)) > 0
    assert reading.read_at == read_at  # caching is not a new reading

    # A second run reads no text: the cache holds the grams and the signature.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as queries:
        assert len(evidence_near_duplicate_check()) == 1
    assert not any('"text"' in q["sql"] and "IN (" in q["sql"] for q in queries.captured_queries)

    # The copy is replaced by the student's own agreement: read anew (new sha256), the cache follows.
    own = agreement_text(name="韩梅梅", org="上海申联商贸有限公司", uscc=make_uscc(serial="MA1EW0301"), day=20)
    EvidenceReading.objects.filter(evidence=evidence).update(sha256="f" * 64, text=own,
                                                             fields=evidence_fields_extract(text=own).as_dict())
    type(evidence).objects.filter(pk=evidence.pk).update(sha256="f" * 64)
    assert evidence_near_duplicate_check() == []
    assert EvidenceReading.objects.get(evidence=evidence).content_for == "f" * 64


# --- class-level clusters ---------------------------------------------------------------------------------


def _class(college, name: str, *, general: int = 0, flexible: int = 0, freelance: int = 0, awaiting: int = 0):
    cls = SchoolClassFactory(name=name, major__college=college)
    made = {}
    for key, n in (("dispatch_general", general), ("flexible_other", flexible), ("flexible_freelance", freelance),
                   ("awaiting_job_hunting", awaiting)):
        made[key] = [make_verified_row(student=student(school_class=cls), destination_type=key,
                                       org_name=f"单位{next(_serial)}").pk for _ in range(n)]
    return made


def test_a_class_far_above_its_college_and_the_school_is_flagged_where_the_college_is_not():
    college = CollegeFactory(name="管理学院")
    hot = _class(college, "管理2301", general=3, flexible=6, freelance=3, awaiting=4)  # 9 of 12 placed
    for i in range(4):
        _class(college, f"管理230{i + 2}", general=18, flexible=1)
    for i in range(3):
        _class(CollegeFactory(name=f"学院{i}"), f"班{i}", general=18, flexible=2)

    findings = class_cluster_check()

    assert [set(f.registration_ids) for f in findings] == [set(hot["flexible_other"] + hot["flexible_freelance"])]
    reason = findings[0].reason
    # 9 of 12 = 75 %; the college's other classes 4/76 = 5 %; the school's other classes 10/136 = 7 %.
    assert "管理2301" in reason and "9 条" in reason and "12 条的 75%" in reason
    assert "5%（4/76）" in reason and "7%（10/136）" in reason
    # The college as a whole (13 of 88 = 15 %, the school 16 of 148 = 11 %) stays under the college check.
    assert checks.flexible_share_check() == []


def test_even_flexible_spread_and_a_small_class_are_not_flagged():
    college = CollegeFactory(name="外语学院")
    for i in range(5):
        _class(college, f"英语230{i}", general=16, flexible=3, freelance=1)  # 20 % everywhere
    _class(college, "小班", general=1, flexible=4, freelance=2)  # 86 %, but only 7 placed records
    assert class_cluster_check() == []
    with override_settings(QUXIANG_INTEGRITY={"CLASS_MIN_PLACED": 5}):
        assert [f.reason.split("：")[0] for f in class_cluster_check()] == ["外语学院 小班"]


WORDING = [("上海星火新媒体工作室", "上海市松江区文汇路 300 弄 5 号"), ("上海星火新媒体工作室（个人）", "松江区文汇路300弄5号"),
           ("上海 星火新媒体工作室", "上海市松江区文汇路300弄5号"), ("上海星火新媒体工作室", "上海市松江区文汇路 300 弄 5号 ")]


def _flexible(cls, org: str, address: str, *, submitted, verified, key: str = "flexible_other"):
    return make_verified_row(student=student(school_class=cls), destination_type=key, org_name=org,
                             org_address=address, org_contact_name="王经理", submitted_at=submitted,
                             verified_at=verified).pk


def test_near_identical_wording_submitted_and_verified_within_minutes_is_flagged():
    cls = SchoolClassFactory(name="数媒2302")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    ids = {_flexible(cls, org, address, submitted=start + dt.timedelta(minutes=4 * i),
                     verified=start + dt.timedelta(hours=2, minutes=3 * i)) for i, (org, address) in enumerate(WORDING)}

    findings = class_cluster_check()

    assert [set(f.registration_ids) for f in findings] == [ids]
    assert "4 条" in findings[0].reason and "数媒2302" in findings[0].reason and "上海星火新媒体工作室" in findings[0].reason


def test_same_wording_spread_over_days_or_a_big_employer_at_one_sitting_is_not_flagged():
    cls = SchoolClassFactory(name="数媒2303")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=20)
    # The same studio, registered over weeks (a real employer of several graduates).
    for i, (org, address) in enumerate(WORDING):
        _flexible(cls, org, address, submitted=start + dt.timedelta(days=3 * i),
                  verified=start + dt.timedelta(days=3 * i, hours=5))
    # Registered within minutes, but verified days apart one by one.
    for i, (org, address) in enumerate(WORDING):
        _flexible(cls, org, address, submitted=start + dt.timedelta(days=1, minutes=i),
                  verified=start + dt.timedelta(days=2 + 2 * i))
    # One big employer signing many students at a campus fair, verified together: not flexible employment.
    for _i in range(6):
        make_verified_row(student=student(school_class=cls), org_name="华为技术有限公司",
                          org_address="深圳市龙岗区坂田华为基地", submitted_at=start, verified_at=start + dt.timedelta(hours=1))
    # Flexible records within minutes, each worded in its own way.
    for i, (org, address) in enumerate([("自由撰稿（个人）", "上海市杨浦区"), ("独立设计工作室", "上海市徐汇区漕宝路 1 号"),
                                        ("网店经营（淘宝）", "浙江省杭州市")]):
        _flexible(cls, org, address, submitted=start + dt.timedelta(days=9, minutes=i),
                  verified=start + dt.timedelta(days=9, minutes=30 + i))

    assert class_cluster_check() == []


def test_submitted_records_not_verified_yet_are_not_in_a_text_cluster():
    cls = SchoolClassFactory(name="数媒2304")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    for org, address in WORDING:
        make_registration_row(student=student(school_class=cls), status="submitted",
                              destination_type="flexible_other", org_name=org, org_address=address, submitted_at=start)
    assert class_cluster_check() == []


def test_new_checks_are_registered_and_run_with_the_others():
    keys = [c.key for c in checks.CHECKS]
    assert keys[-3:] == ["evidence_mismatch", "evidence_near_duplicate", "class_cluster"]
    reg = record(name="李明华", org="上海申联智能科技有限公司", uscc=make_uscc(serial="MA1EW0002"))
    read_evidence(reg, agreement_text(name="李明华"))
    results = dict((c.key, f) for c, f in checks.checks_run())
    assert flagged(results["evidence_mismatch"]) == {reg.pk}
    assert checks.checks_run(year=2031)[-3:] == [(c, []) for c in checks.CHECKS[-3:]]


# --- measured on the planted cohort (bench/trust): identifiers as whole grams, small contents ---------------


def _employer_agreement(*, name: str, number: str, national_id: str, serial: int) -> str:
    """A big employer's agreement as OCR reads the printed table: what differs between two students is only
    their name and identifiers (the employer's lines, the job, the pay and the date are the same for many)."""
    return "\n".join([
        "全国普通高等学校毕业生就业协议书", f"编号：2027{serial:06d}",
        "甲方 单位名称 上海示范科技有限公司", f"统一社会信用代码 {USCC}", "单位地址 上海市浦东新区张江路88号",
        "联系人及电话 人事部赵女士 021-69023834", f"乙方 姓名 {name}", f"学号 {number}", "专业 计算机科学与技术",
        f"身份证号 {national_id}", "工作岗位 软件工程师", "月薪 9500元",
        "一、甲方如实介绍本单位情况及工作岗位、工作条件、劳动报酬等，并按国家规定为乙方缴纳社会保险。",
        "三、本协议经甲乙双方签字盖章并经学校就业部门登记后生效，乙方报到后本协议自行终止。",
        f"乙方（签名）：{name}", "日期：2026年10月26日",
    ])


def test_copies_of_an_agreement_whose_only_own_content_is_identifiers_are_flagged():
    # Twelve students' own agreements with one big employer, same job, pay and date: the template is everything
    # but the name, 编号, 学号 and ID number — four or five grams of content. Before identifiers were whole grams
    # (every digit pair a gram, all of them template) nothing was left to compare and copies went unflagged.
    for i, name in enumerate(PEOPLE):
        read_evidence(record(name=name), _employer_agreement(
            name=name, number=f"23900{i:05d}", national_id=make_national_id(seq=i + 300), serial=i))
    original = record(name="李明华")
    text = _employer_agreement(name="李明华", number="2390077777", national_id=make_national_id(seq=777), serial=777)
    read_evidence(original, text)
    copies = [record(name=n) for n in ("韩梅梅", "林涛")]
    read_evidence(copies[0], text.replace("张江路", "张汪路").replace("：", ":"))  # OCR slips in the copy
    read_evidence(copies[1], "\n".join(text.split("\n")[:-1]))  # the bottom line cropped off

    findings = evidence_near_duplicate_check()

    assert [set(f.registration_ids) for f in findings] == [{original.pk, *(c.pk for c in copies)}]


def test_offer_letters_from_one_university_are_not_near_duplicates():
    # Little own content (a student number); the university's words are shared by several students' letters.
    for i, name in enumerate(["王小红", "张伟", "刘洋", "赵敏"]):
        read_evidence(record(name=name, org="墨尔本大学", uscc=""), "\n".join([
            "OFFER OF ADMISSION", f"Student ID {23900400 + i}",
            "We are pleased to offer you admission to The University of Melbourne.",
            "Master of Science, Fall 2027. Please confirm your acceptance by 30 April 2027."]), name="Offer.pdf")
    assert evidence_near_duplicate_check() == []


def test_a_lower_min_grams_signs_what_an_earlier_run_left_unsigned():
    # The cached signature is keyed by the content and MIN_GRAMS: after a settings change the copies are found.
    template_cohort()
    text = agreement_text(name="李明华", number="2390000101")
    read_evidence(record(name="李明华"), text)
    read_evidence(record(name="韩梅梅"), ocr_copy(text))
    with override_settings(QUXIANG_INTEGRITY={"NEAR_DUPLICATE_MIN_GRAMS": 500}):
        assert evidence_near_duplicate_check() == []
    assert len(evidence_near_duplicate_check()) == 1


def test_a_college_over_the_line_because_of_one_class_is_left_to_the_class_finding():
    # 管理学院 as a whole is 16/73 = 22 % against the school's 10 % (over 2×), but all of its excess is one
    # class (13 of 16): class_cluster names that class; the college check no longer lists the college's other
    # flexible graduates (it did before, with every flexible record of the college).
    college = CollegeFactory(name="管理学院")
    hot = _class(college, "管理2301", general=3, flexible=9, freelance=4)
    others = [_class(college, f"管理230{i + 2}", general=18, flexible=1) for i in range(3)]
    for i in range(4):
        _class(CollegeFactory(name=f"学院{i}"), f"班{i}", general=29, flexible=1)

    assert checks.flexible_share_check() == []
    assert flagged(class_cluster_check()) == set(hot["flexible_other"] + hot["flexible_freelance"])
    assert others  # their flexible records are on no list


def test_a_college_high_in_every_class_is_still_flagged():
    spread = CollegeFactory(name="艺术学院")
    arts = [_class(spread, f"艺术230{i}", general=7, flexible=5) for i in range(3)]  # 42 % in every class
    for i in range(4):
        _class(CollegeFactory(name=f"学院{i}"), f"班{i}", general=29, flexible=1)

    shares = checks.flexible_share_check()

    assert [f.reason.split("：")[0] for f in shares] == ["艺术学院"]
    assert set(shares[0].registration_ids) == {pk for a in arts for pk in a["flexible_other"]}
    assert not [f for f in class_cluster_check() if "已落实去向" in f.reason]  # no class stands out
