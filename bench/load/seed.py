"""Seed the load database (run by common.Stack.prepare under load_settings; refuses other databases).

One college / major / class of undergraduates from Shanghai (so every flow has the archive step and the
生源地 匹配 finds 上海市学生事务中心), N students with must_change_password=False and a known password each,
and M organisations in the directory with valid USCCs (the 检索匹配 lookup). Writes
[{"number", "password", "uscc"}, …] to --out and prints a JSON summary on the last line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from quxiang.accounts.models import Role, User  # noqa: E402
from quxiang.core.validators import uscc_check_char  # noqa: E402
from quxiang.organisations.models import Organisation, OrganisationSource  # noqa: E402
from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student  # noqa: E402

SHANGHAI_COUNTIES = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
                     "310114", "310115", "310116", "310117", "310118", "310120", "310151"]
SHARED_PASSWORD = "Quxiang-Load-2026!"


def national_id(region: str, n: int) -> str:
    """Unique per n: the birth date steps one day every 1000 students, the sequence is n mod 1000."""
    birth = dt.date(2002, 1, 1) + dt.timedelta(days=n // 1000)
    body = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def uscc(region: str, serial: int) -> str:
    first17 = f"91{region}{serial:09d}"
    return first17 + uscc_check_char(first17)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not name.startswith("quxiang_") or not (
        "load" in name or "fault" in name
    ):
        sys.exit(f"refusing to seed {connection.vendor} {name!r}")

    started = time.perf_counter()
    full_hash = os.environ.get("QUXIANG_LOAD_FULL_HASH") == "1"
    shared_hash = make_password(SHARED_PASSWORD) if full_hash else None
    with transaction.atomic():
        college = College.objects.create(code="L01", name="负载测试学院")
        major = Major.objects.create(code="080901", name="计算机科学与技术", level=EducationLevel.BACHELOR,
                                     college=college)
        school_class = SchoolClass.objects.create(name="负载2301", major=major)
        counselor = User.objects.create(username="load_fdy", role=Role.COUNSELOR, full_name="负载辅导员",
                                        password=make_password(SHARED_PASSWORD))
        school_class.counselors.add(counselor)
        User.objects.create(username="load_office", role=Role.OFFICE, full_name="负载就业指导中心", is_staff=True,
                            password=make_password(SHARED_PASSWORD))

        orgs = []
        for i in range(args.organisations):
            region = SHANGHAI_COUNTIES[i % len(SHANGHAI_COUNTIES)]
            orgs.append(Organisation(
                uscc=uscc(region, 100_000 + i), name=f"上海负载测试科技有限公司{i + 1}",
                shanghai_reg_no=f"{1_000_000 + i:07d}", nature_id="39", industry_id="I", region_id=region,
                address=f"上海市浦东新区张江路 {i + 1} 号", postcode="201203", contact_name="王经理",
                contact_phone="021-58881234", source=OrganisationSource.OFFICE,
            ))
        Organisation.objects.bulk_create(orgs, batch_size=1000)

        users, students, out = [], [], []
        for i in range(args.students):
            number = f"23L{i:07d}"
            password = SHARED_PASSWORD if full_hash else f"Load!{number}"
            users.append(User(username=number, role=Role.STUDENT, full_name=f"负载学生{i + 1}",
                              must_change_password=False,
                              password=shared_hash or make_password(password)))
            out.append({"number": number, "password": password, "uscc": orgs[i % len(orgs)].uscc})
        User.objects.bulk_create(users, batch_size=1000)
        accounts = dict(User.objects.filter(role=Role.STUDENT).values_list("username", "id"))
        for i, row in enumerate(out):
            region = SHANGHAI_COUNTIES[i % len(SHANGHAI_COUNTIES)]
            students.append(Student(
                user_id=accounts[row["number"]], student_number=row["number"], name=f"负载学生{i + 1}",
                gender="M" if i % 2 else "F", national_id=national_id(region, i),
                education_level=EducationLevel.BACHELOR, college=college, major=major, school_class=school_class,
                origin_region_id=region, graduation_year=2027, phone=f"138{i:08d}",
            ))
        Student.objects.bulk_create(students, batch_size=1000)
    with open(args.out, "w") as fh:
        json.dump(out, fh)
    print(json.dumps({"students": len(out), "organisations": len(orgs), "full_hash": full_hash,
                      "hasher": settings.PASSWORD_HASHERS[0], "seconds": round(time.perf_counter() - started, 2)}))


if __name__ == "__main__":
    main()
