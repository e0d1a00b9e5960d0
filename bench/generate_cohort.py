"""Generate a large graduating cohort into a dedicated PostgreSQL benchmark database, fast (COPY).

    createdb -h 127.0.0.1 -U postgres quxiang_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang_bench \\
        .venv/bin/python bench/generate_cohort.py --students 100000 --organisations 20000 --reset

Creates (after `migrate`): colleges, majors (本科/硕士/博士), classes of 30, counselors (one per 10
classes), one college officer per college, the office account `bench_office`, N students with their
accounts, M organisations, and registrations in the realistic late-season mix of
quxiang.testing.factories.SAMPLE_STATE_MIX / SAMPLE_TYPE_MIX: ~6% 未登记, 5% 草稿, 10% 待鉴证, 3% 已退回,
76% 已鉴证 (of which 3% also have an open change draft and 4% a superseded earlier version). Employers
are drawn from the organisations with a skew (a few big employers take many graduates).

Every account (students and staff) gets the password given by --password (one PBKDF2 hash shared by
all rows, so that a load test can log in as anyone) and no forced password change.

It refuses to run unless the database is PostgreSQL and its name contains "bench". --reset empties
the school's tables first (TRUNCATE … CASCADE of users, roster, registrations, organisations, audit;
the code tables stay). 1,000,000 students / 200,000 organisations take a few minutes (see
bench/results/stats.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from quxiang.accounts.models import Role, User  # noqa: E402
from quxiang.core.validators import uscc_check_char  # noqa: E402
from quxiang.organisations.models import Organisation  # noqa: E402
from quxiang.reference.models import Country, DestinationType, OrgKind, Region, RegionLevel  # noqa: E402
from quxiang.registrations.models import Registration  # noqa: E402
from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student  # noqa: E402
from quxiang.testing.factories import SAMPLE_CHANGE_SHARE, SAMPLE_STATE_MIX, SAMPLE_TYPE_MIX  # noqa: E402

CLASS_SIZE = 30
CLASSES_PER_COUNSELOR = 10
SUPERSEDED_SHARE = 0.04
LEVEL_SHARE = [(EducationLevel.BACHELOR, 0.80), (EducationLevel.MASTER, 0.17), (EducationLevel.DOCTOR, 0.03)]
STUDY_YEARS = {EducationLevel.BACHELOR: 4, EducationLevel.MASTER: 3, EducationLevel.DOCTOR: 4}
BIRTH_YEAR_OFFSET = {EducationLevel.BACHELOR: 22, EducationLevel.MASTER: 25, EducationLevel.DOCTOR: 29}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟强磊军洋勇杰涛明超辉刚健鹏宇浩凯俊帆博文轩晨阳静丽敏婷雪琳慧芳颖洁倩欣怡佳悦涵雨梦晴璐瑶琪萱诗彤妍"
ORG_WORDS = ["申联", "浦江", "汇星", "长扬", "云帆", "东浦", "申城", "华锐", "海湾", "明致", "钱江", "南海", "吴越",
             "中科", "港联", "蓝天", "江宁", "天府", "恒信", "锦程"]
ORG_TRADES = [("智能科技", "39", "I"), ("重工装备", "31", "C"), ("光电科技", "39", "C"), ("汽车零部件", "32", "C"),
              ("信息技术", "39", "I"), ("商业银行", "31", "J"), ("建设工程", "31", "E"), ("新材料", "39", "C"),
              ("国际物流", "32", "G"), ("管理咨询", "39", "L"), ("医药", "39", "C"), ("教育科技", "39", "P")]
ABROAD_SCHOOLS = [("哥伦比亚大学", "Columbia University"), ("伦敦大学学院", "University College London"),
                  ("墨尔本大学", "The University of Melbourne"), ("东京大学", "The University of Tokyo"),
                  ("新加坡国立大学", "National University of Singapore"), ("香港大学", "The University of Hong Kong")]
ETHNICITIES = [("汉族", 92), ("回族", 2), ("满族", 2), ("壮族", 2), ("蒙古族", 1), ("土家族", 1)]
POLITICAL = [("共青团员", 70), ("中共党员", 10), ("中共预备党员", 3), ("群众", 17)]


def log(msg: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f}s] {msg}", flush=True)


def refuse_unless_bench() -> None:
    name = connection.settings_dict.get("NAME") or ""
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"refusing to run: DATABASE_URL must name a PostgreSQL database called like *bench* (got "
                 f"{connection.vendor} {name!r}).")


# --- COPY ----------------------------------------------------------------------------------------


class Copier:
    """COPY rows (dicts of attname → value) into a model's table; missing fields take the model default."""

    def __init__(self, model: type[models.Model], now: dt.datetime):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [f.attname for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif isinstance(f, (models.CharField, models.TextField)):
                value = ""
            else:
                value = None  # must be given; the NOT NULL constraint says so otherwise
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            self.defaults[f.attname] = value

    def copy(self, rows: Iterable[dict]) -> int:
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        names, defaults, count = self.names, self.defaults, 0
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row([row.get(n, defaults[n]) for n in names])
                count += 1
        return count


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(model._meta.db_table)}")
        return cursor.fetchone()[0]


def reset_sequences(*models_: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


# --- data ----------------------------------------------------------------------------------------


def national_id(region: str, birth: dt.date, order: int) -> str:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def uscc(region: str, serial: int, kind: str = "91") -> str:
    first17 = f"{kind}{region}{serial:09d}"
    return first17 + uscc_check_char(first17)


def weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=20_000)
    parser.add_argument("--year", type=int, default=2026, help="graduation year of the cohort (default 2026)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--password", default="Quxiang-Bench-2026", help="password of every generated account")
    parser.add_argument("--reset", action="store_true", help="empty the school's tables first")
    args = parser.parse_args()

    refuse_unless_bench()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log("migrated", started)
    rng = random.Random(args.seed)
    now = timezone.now()
    year, n_students, n_orgs = args.year, args.students, args.organisations
    yy = year % 100

    with transaction.atomic():
        if args.reset:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE registrations_registrationevent, evidence_evidencefile, audit_auditentry, "
                    "registrations_registration, roster_student, roster_schoolclass_counselors, roster_schoolclass, "
                    "roster_major, roster_college, organisations_organisation, accounts_user RESTART IDENTITY CASCADE"
                )
            log("reset", started)
        elif Student.objects.filter(graduation_year=year, student_number__startswith=f"9{yy:02d}").exists():
            sys.exit(f"a generated cohort {year} is already there: use --reset or another --year")

        counties = list(Region.objects.filter(level=RegionLevel.COUNTY, is_active=True).values_list("code", flat=True))
        shanghai = [c for c in counties if c.startswith("31")]
        origin_pool = shanghai * 40 + counties  # about a third from Shanghai, as at a Shanghai university
        type_kind = dict(DestinationType.objects.values_list("key", "org_kind"))
        type_keys = [k for k in SAMPLE_TYPE_MIX if k in type_kind]
        type_weights = [SAMPLE_TYPE_MIX[k] for k in type_keys]
        countries = [c for c in Country.objects.filter(code__in=["US", "GB", "AU", "JP", "SG", "HK", "DE", "CA"])
                     .values_list("code", flat=True)]
        password = make_password(args.password)

        # Structure: colleges, majors, classes.
        n_colleges = max(5, min(40, n_students // 2500))
        college_base = next_id(College)
        colleges = [College(id=college_base + i, code=f"G{yy:02d}{i + 1:03d}", name=f"基准学院{yy:02d}-{i + 1:03d}")
                    for i in range(n_colleges)]
        College.objects.bulk_create(colleges)
        major_base = next_id(Major)
        majors = {level: [] for level, _ in LEVEL_SHARE}
        rows = []
        for ci, college in enumerate(colleges):
            for mi, level in enumerate([EducationLevel.BACHELOR] * 4 + [EducationLevel.MASTER, EducationLevel.DOCTOR]):
                m = Major(id=major_base + len(rows), code=f"9{yy:02d}{ci:03d}{mi}", name=f"基准专业{ci + 1:03d}-{mi + 1}",
                          college=college, level=level)
                rows.append(m)
                majors[level].append(m)
        Major.objects.bulk_create(rows)

        n_classes = -(-n_students // CLASS_SIZE)
        class_levels = []
        for level, share in LEVEL_SHARE:
            class_levels += [level] * round(n_classes * share)
        class_levels = (class_levels + [EducationLevel.BACHELOR] * n_classes)[:n_classes]
        class_base, user_base = next_id(SchoolClass), next_id(User)
        classes = []  # (id, major)
        for c, level in enumerate(class_levels):
            pool = majors[level]
            classes.append((class_base + c, pool[c % len(pool)]))
        Copier(SchoolClass, now).copy(
            {"id": cid, "name": f"基准{yy:02d}班{i + 1:06d}", "major_id": m.id} for i, (cid, m) in enumerate(classes)
        )

        # Staff: counselors (one per 10 classes), college officers, the office.
        n_counselors = -(-n_classes // CLASSES_PER_COUNSELOR)
        staff = [{"id": user_base + i, "username": f"bench{yy:02d}_fdy{i + 1:05d}", "role": Role.COUNSELOR,
                  "full_name": f"辅导员{i + 1}"} for i in range(n_counselors)]
        staff += [{"id": user_base + n_counselors + i, "username": f"bench{yy:02d}_mishu{i + 1:03d}",
                   "role": Role.COLLEGE_OFFICER, "college_id": college.id, "full_name": f"就业秘书{i + 1}"}
                  for i, college in enumerate(colleges)]
        office_username = "bench_office"
        if not User.objects.filter(username=office_username).exists():
            staff.append({"id": user_base + len(staff), "username": office_username, "role": Role.OFFICE,
                          "full_name": "就业指导中心（基准）", "is_staff": True})
        user_copier = Copier(User, now)
        user_copier.defaults.update(password=password, date_joined=now, must_change_password=False)
        user_copier.copy(staff)
        counselor_of_class = {cid: user_base + c // CLASSES_PER_COUNSELOR for c, (cid, _m) in enumerate(classes)}
        through = SchoolClass.counselors.through
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {through._meta.db_table} (schoolclass_id, user_id) FROM STDIN"
        ) as cp:
            for cid, uid in counselor_of_class.items():
                cp.write_row((cid, uid))
        log(f"{n_colleges} colleges, {sum(len(v) for v in majors.values())} majors, {n_classes} classes, "
            f"{len(staff)} staff", started)

        # Organisations.
        org_base = next_id(Organisation)
        orgs = []
        for i in range(n_orgs):
            region = rng.choice(origin_pool)
            school = i % 50 == 0
            word = ORG_WORDS[i % len(ORG_WORDS)]
            if school:
                name, nature, industry, kind = f"{word}大学{i // 50 + 1}", "21", "P", "12"
            else:
                trade, nature, industry = ORG_TRADES[(i // len(ORG_WORDS)) % len(ORG_TRADES)]
                name, kind = f"{word}{trade}有限公司{i + 1}", "91"
            orgs.append({"id": org_base + i, "uscc": uscc(region, 10_000_000 + i, kind), "name": name,
                         "nature_id": nature, "industry_id": industry, "region_id": region,
                         "address": f"科技路 {i % 2000 + 1} 号", "postcode": "200000", "contact_name": "王老师",
                         "contact_phone": "021-60000000", "source": "office", "updated_at": now,
                         "shanghai_reg_no": f"{i % 10_000_000:07d}" if region.startswith("31") else ""})
        Copier(Organisation, now).copy(orgs)
        employers = [o for o in orgs if o["nature_id"] != "21"] or orgs
        schools = [o for o in orgs if o["nature_id"] == "21"] or orgs
        log(f"{n_orgs} organisations", started)

        # Students and their accounts.
        student_base, acct_base = next_id(Student), user_base + len(staff)
        taken_ids = set(Student.objects.values_list("national_id", flat=True))
        eth_values, eth_weights = weighted(ETHNICITIES)
        pol_values, pol_weights = weighted(POLITICAL)
        students = []  # (id, level, class id) — for the registrations
        n_days = 1461

        def student_rows():
            for i in range(n_students):
                cid, major = classes[i // CLASS_SIZE]
                level = major.level
                male = rng.random() < 0.55
                region = origin_pool[(i * 7919) % len(origin_pool)]
                birth = dt.date(year - BIRTH_YEAR_OFFSET[level], 1, 1) + dt.timedelta(days=(i * 37) % n_days)
                order = (i // n_days) % 499 * 2 + (1 if male else 0) + 1
                nid = national_id(region, birth, order)
                while nid in taken_ids:
                    order = (order + 2) % 1000
                    nid = national_id(region, birth, order)
                taken_ids.add(nid)
                number = f"9{yy:02d}{i:07d}"
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
                students.append((student_base + i, level, cid))
                yield {
                    "id": student_base + i, "user_id": acct_base + i, "student_number": number, "name": name,
                    "gender": "M" if male else "F", "national_id": nid, "education_level": level,
                    "college_id": major.college_id, "major_id": major.id, "school_class_id": cid,
                    "origin_region_id": region, "graduation_year": year,
                    "phone": f"13{rng.randrange(10**9):09d}", "email": f"{number}@stu.example.edu.cn",
                    "exam_number": f"{(year - STUDY_YEARS[level]) % 100:02d}{region}{i % 10**6:06d}",
                    "ethnicity": rng.choices(eth_values, eth_weights)[0],
                    "political_status": rng.choices(pol_values, pol_weights)[0],
                    "urban_rural": "城镇" if rng.random() < 0.7 else "农村",
                    "enrolled_on": dt.date(year - STUDY_YEARS[level], 9, 1), "graduation_date": dt.date(year, 6, 30),
                    "training_mode": "非定向", "study_form": "全日制",
                }

        def account_rows():
            for i in range(n_students):
                yield {"id": acct_base + i, "username": f"9{yy:02d}{i:07d}", "role": Role.STUDENT,
                       "full_name": "", "email": f"9{yy:02d}{i:07d}@stu.example.edu.cn"}

        user_copier.copy(account_rows())
        log(f"{n_students} student accounts", started)
        Copier(Student, now).copy(student_rows())
        log(f"{n_students} students", started)

        # Registrations.
        states, state_weights = list(SAMPLE_STATE_MIX), list(SAMPLE_STATE_MIX.values())
        reg_base = next_id(Registration)
        signed = dt.date(year, 3, 15)

        def destination(key: str, level: str) -> dict:
            kind = type_kind[key]
            row = {"destination_type_id": key, "organisation_done": True, "archive_done": True}
            if kind == OrgKind.EMPLOYER:
                org = employers[int(len(employers) * rng.random() ** 3)]  # skewed: big employers hire many
                row.update(org_name=org["name"], org_uscc=org["uscc"], org_nature_id=org["nature_id"],
                           org_industry_id=org["industry_id"], org_region_id=org["region_id"],
                           org_address=org["address"], org_postcode=org["postcode"],
                           org_contact_name=org["contact_name"], org_contact_phone=org["contact_phone"],
                           org_shanghai_reg_no=org["shanghai_reg_no"], job_category_id="13", signed_on=signed)
            elif kind == OrgKind.SCHOOL:
                org = rng.choice(schools)
                row.update(org_name=org["name"], org_uscc=org["uscc"], org_region_id=org["region_id"])
            elif kind == OrgKind.ABROAD:
                cn, original = rng.choice(ABROAD_SCHOOLS)
                row.update(abroad_country_id=rng.choice(countries) if countries else None, org_name=cn,
                           abroad_name_original=original, programme="计算机科学", programme_original="Computer Science",
                           signed_on=signed)
            if level == EducationLevel.BACHELOR:
                row.update(archive_destination="origin", archive_unit="生源地人才服务中心", archive_address="人民路 1 号",
                           archive_postcode="200000", archive_contact="档案室", archive_phone="021-60000001")
            return row

        counts = dict.fromkeys([*states, "superseded", "change"], 0)

        def registration_rows():
            rid = reg_base
            for sid, level, cid in students:
                state = rng.choices(states, state_weights)[0]
                counts[state] += 1
                if state == "none":
                    continue
                version = 1
                if state == "verified" and rng.random() < SUPERSEDED_SHARE:
                    counts["superseded"] += 1
                    yield {"id": rid, "student_id": sid, "version": 1, "status": "superseded", "submitted_at": now,
                           "verified_at": now, "verification_no": f"B{year}{rid:010d}",
                           "verified_by_id": counselor_of_class[cid],
                           **destination(rng.choices(type_keys, type_weights)[0], level)}
                    rid, version = rid + 1, 2
                row = {"id": rid, "student_id": sid, "version": version, "status": state,
                       **destination(rng.choices(type_keys, type_weights)[0], level)}
                if state != "draft":
                    row["submitted_at"] = now
                if state == "returned":
                    row["return_reason"] = "请上传协议书第一联的清晰扫描件。"
                if state == "verified":
                    row.update(verified_at=now, verification_no=f"B{year}{rid:010d}",
                               verified_by_id=counselor_of_class[cid])
                yield row
                verified_id, rid = rid, rid + 1
                if state == "verified" and rng.random() < SAMPLE_CHANGE_SHARE:
                    counts["change"] += 1
                    change = {**row, "id": rid, "version": version + 1, "status": "draft", "submitted_at": None,
                              "verified_at": None, "verification_no": None, "verified_by_id": None,
                              "changed_from_id": verified_id}
                    yield change
                    rid += 1

        n_regs = Copier(Registration, now).copy(registration_rows())
        log(f"{n_regs} registrations; students by state {counts}", started)
        reset_sequences(College, Major, SchoolClass, User, Student, Organisation, Registration)

    with connection.cursor() as cursor:
        for table in ("accounts_user", "roster_student", "registrations_registration", "organisations_organisation",
                      "roster_schoolclass", "roster_schoolclass_counselors"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log("vacuum analyze done", started)


if __name__ == "__main__":
    main()
