"""Benchmark of the roster import (quxiang/imports): preview and import of a generated N-row file, then the
same file again (expect 0 created, 0 updated), then an edited file (every phone changed: N updates).

    .venv/bin/python bench/import_bench.py --rows 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang .venv/bin/python bench/import_bench.py --rows 20000

It never touches the database it is pointed at: on SQLite it migrates a throwaway file in a temporary
directory; on PostgreSQL it creates a throwaway database (quxiang_bench_import) on the same server and
drops it at the end. DJANGO_SETTINGS_MODULE defaults to config.settings.base (real PBKDF2 hasher)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "quxiang_bench_import"

HEADERS = ["学号", "姓名", "性别", "身份证号", "学历层次", "学院", "专业代码", "专业名称", "班级", "辅导员工号", "生源地代码",
           "毕业年份", "手机号", "电子邮箱", "考生号", "民族", "政治面貌", "城乡生源", "入学年月", "毕业日期", "培养方式",
           "学习形式"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟强磊军洋勇杰涛明超辉刚健鹏宇浩凯俊帆博文轩晨静丽敏婷雪琳慧芳颖洁倩欣怡佳悦涵雨梦晴璐瑶琪萱"


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def setup_database(url: str | None, tmp: Path) -> tuple[str, str | None]:
    """Point Django at a throwaway database. Returns (DATABASE_URL to use, PostgreSQL URL to drop or None)."""
    if url and url.startswith(("postgres://", "postgresql://")):
        _pg_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
        _pg_admin(url, f"CREATE DATABASE {BENCH_DB}")
        bench_url = urlunparse(urlparse(url)._replace(path=f"/{BENCH_DB}"))
        return bench_url, url
    return f"sqlite:///{tmp / 'bench.sqlite3'}", None


def build_school(*, rows: int):
    """A throwaway college with majors, counselors and classes of 30, and the regions to draw 生源地 from."""
    from django.contrib.auth.hashers import make_password

    from quxiang.accounts.models import Role, User
    from quxiang.reference.models import Region, RegionLevel
    from quxiang.roster.models import College, EducationLevel, Major

    college = College.objects.create(code="B1", name="基准测试学院")
    majors = [
        Major.objects.create(code=f"0899{i:02d}", name=f"基准专业{i}", college=college, level=EducationLevel.BACHELOR)
        for i in range(1, 9)
    ] + [Major.objects.create(code="089900", name="基准硕士专业", college=college, level=EducationLevel.MASTER)]
    password = make_password("Bench-2026!")
    counselors = User.objects.bulk_create(
        [User(username=f"bfdy{i:02d}", full_name=f"基准辅导员{i}", role=Role.COUNSELOR, password=password)
         for i in range(1, 21)]
    )
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY, is_active=True).values_list("code", flat=True))
    assert "330114" in counties and "653228" in counties, "the Region table lacks the post-2021 counties"
    return college, majors, [c.username for c in counselors], counties


def write_file(path: Path, *, rows: int, college, majors, counselors, counties, seed: int = 2026,
               phone_offset: int = 0) -> None:
    import xlsxwriter
    from stdnum.cn import ric

    rng = random.Random(seed)
    # Shared strings, as Excel saves a workbook (xlsxwriter's constant_memory mode writes inline strings,
    # which openpyxl reads about half as fast).
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("毕业生名单")
    sheet.write_row(0, 0, HEADERS)
    seen: set[str] = set()
    for n in range(1, rows + 1):
        major = majors[n % len(majors)]
        level = "硕士" if major.level == "master" else "本科"
        region = ("330114", "653228")[n % 2] if n % 50 == 0 else rng.choice(counties)
        male = rng.random() < 0.5
        while True:
            birth = dt.date(2002, 1, 1) + dt.timedelta(days=rng.randrange(0, 1400))
            order = rng.randrange(0, 100) * 10 + rng.randrange(0, 5) * 2 + (1 if male else 0)
            body = f"{region}{birth:%Y%m%d}{order:03d}"
            national_id = body + ric.calc_check_digit(body + "0")
            if national_id not in seen:
                seen.add(national_id)
                break
        number = f"27{n:08d}"
        class_no = (n // len(majors)) // 30 + 1
        class_name = f"基准{major.code[-2:]}{class_no:03d}班"
        counselor = counselors[(n % len(majors) * 7 + class_no) % len(counselors)]  # one counselor per class
        sheet.write_row(n, 0, [
            number, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "男" if male else "女", national_id,
            level, college.name, major.code, major.name, class_name, counselor, region, "2027",
            f"1{rng.choice('3589')}{(n * 7919 + phone_offset) % 10**9:09d}", f"{number}@stu.example.edu.cn",
            f"23{region}{n:06d}", "汉族", rng.choice(["共青团员", "中共党员", "群众"]), rng.choice(["城镇", "农村"]),
            "2023-09" if level == "本科" else "2024/9", "2027-06-30", "非定向", "全日制",
        ])
    book.close()


def run_once(path: Path, *, actor, label: str) -> dict:
    from django.core.files import File

    from quxiang.imports import services
    from quxiang.imports.models import ImportJob, ImportStatus

    with open(path, "rb") as fh:
        job = services.import_job_create(upload=File(fh, name=path.name), actor=actor)
    c0, t0 = time.process_time(), time.perf_counter()
    services.import_job_check(job_id=job.pk)
    t1 = time.perf_counter()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.message
    preview = (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_error)
    t2 = time.perf_counter()
    assert services.import_job_start_import(job=job, actor=actor)
    job = ImportJob.objects.get(pk=job.pk)
    if job.status == ImportStatus.IMPORTING:  # not inline: run it here, in this thread
        services.import_job_import(job_id=job.pk)
    t3, c3 = time.perf_counter(), time.process_time()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    return {
        "label": label, "preview_s": t1 - t0, "import_s": t3 - t2, "cpu_s": c3 - c0, "rows": job.rows_total,
        "preview": preview,
        "result": (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_error),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--skip-update", action="store_true", help="skip the third run (every row edited)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    tmp = Path(tempfile.mkdtemp(prefix="quxiang-import-bench-"))
    original_url = os.environ.get("DATABASE_URL")
    bench_url, pg_admin_url = setup_database(original_url, tmp)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["QUXIANG_VAR_DIR"] = str(tmp)  # the uploaded copies go to the temporary directory too
    try:
        import django

        django.setup()
        from celery import current_app
        from django.core.management import call_command
        from django.db import connection

        # The import's steps run in this process (no worker): the figures are those of the work itself.
        current_app.conf.task_always_eager = True
        vendor = connection.vendor
        print(f"database: {vendor} ({'throwaway ' + BENCH_DB if pg_admin_url else tmp / 'bench.sqlite3'})")
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - t:.1f} s")

        from quxiang.accounts.models import Role, User
        from quxiang.roster.models import SchoolClass, Student

        college, majors, counselors, counties = build_school(rows=args.rows)
        office = User.objects.create(username="bench-office", role=Role.OFFICE, full_name="基准")
        first = tmp / f"roster-{args.rows}.xlsx"
        t = time.perf_counter()
        write_file(first, rows=args.rows, college=college, majors=majors, counselors=counselors, counties=counties)
        print(f"generated {first.name} ({first.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")

        results = [run_once(first, actor=office, label="first import (all new)")]
        assert Student.objects.count() == args.rows, Student.objects.count()
        results.append(run_once(first, actor=office, label="same file again"))
        assert results[-1]["result"][:2] == (0, 0), results[-1]
        if not args.skip_update:
            edited = tmp / f"roster-{args.rows}-edited.xlsx"
            write_file(edited, rows=args.rows, college=college, majors=majors, counselors=counselors,
                       counties=counties, phone_offset=1)
            results.append(run_once(edited, actor=office, label="edited file (every phone changed)"))
        print(f"classes: {SchoolClass.objects.count()}, students: {Student.objects.count()}")

        cpu = os.cpu_count()
        print()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{dt.date.today():%Y-%m-%d} · {vendor} · {args.rows} rows · {cpu} cores · Python "
              f"{platform.python_version()} · load average at the end {load:.1f}")
        print("| run | preview s | import s | preview + import s | rows/s | CPU s (this process) "
              "| preview new/upd/same/err | result new/upd/same/err |")
        print("|---|---:|---:|---:|---:|---:|---|---|")
        for r in results:
            total = r["preview_s"] + r["import_s"]
            print(f"| {r['label']} | {r['preview_s']:.1f} | {r['import_s']:.1f} | {total:.1f} | "
                  f"{r['rows'] / total:.0f} | {r['cpu_s']:.1f} | {'/'.join(map(str, r['preview']))} | "
                  f"{'/'.join(map(str, r['result']))} |")
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if pg_admin_url:
            _pg_admin(pg_admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
