"""The 15,000-record part of the trust bench: how long the whole check run (checks.checks_run, every check
of checks.CHECKS) takes once the evidence has been read.

The extra records are written cheaply, straight to the tables (bulk inserts: students, verified records,
one evidence row each and its EvidenceReading) — the text of each reading is the text layer of a rendered
document (bench/trust/render.Doc: agreements, contracts, 灵活就业登记表, 调档函 with each student's own
filled-in content) and its key fields come from the real evidence/fields.py. No OCR: this part times the
checks, not the reading. The cohort built through the services stays in the database, so the checks run
over both."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import statistics
import time

from bench.trust import cohort as C


def add_records(*, total: int, start: dt.datetime, seed: int, log) -> tuple[int, int]:
    """Add students with verified records until the database holds `total` records on file. Returns (records
    added, readings added)."""
    from django.contrib.auth.hashers import make_password

    from quxiang.accounts.models import Role, User
    from quxiang.evidence.fields import evidence_fields_extract
    from quxiang.evidence.models import EvidenceFile, EvidenceReading, ReadingStatus
    from quxiang.integrity.selectors import records_current
    from quxiang.registrations.models import Registration
    from quxiang.registrations.state import student_states_recount
    from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student
    from quxiang.testing.factories import make_national_id

    have = records_current().count()
    need = total - have
    if need <= 0:
        return 0, 0
    rng = random.Random(seed)
    started = time.perf_counter()
    password = make_password("Bench-Trust-2026!")
    college = College.objects.create(code="TS", name="规模测试学院")
    majors = [Major.objects.create(code=f"09{i:04d}", name=f"规模专业{i}", college=college,
                                   level=EducationLevel.BACHELOR) for i in range(12)]
    n_classes = need // C.CLASS_SIZE + 1
    counselors = User.objects.bulk_create([User(username=f"tsfdy{i:03d}", full_name=f"规模辅导员{i}",
                                                role=Role.COUNSELOR, password=password) for i in range(n_classes // 10 + 1)])
    classes = SchoolClass.objects.bulk_create([SchoolClass(name=f"规模{i:04d}", major=majors[i % 12])
                                               for i in range(n_classes)])
    through = SchoolClass.counselors.through
    through.objects.bulk_create([through(schoolclass_id=c.pk, user_id=counselors[i // 10].pk)
                                 for i, c in enumerate(classes)])
    names = C._names(rng, min(need, 30000))
    users = User.objects.bulk_create([User(username=f"2391{i:06d}", full_name=names[i % len(names)], role=Role.STUDENT,
                                           password=password) for i in range(need)], batch_size=2000)
    students = Student.objects.bulk_create([
        Student(user=u, student_number=u.username, name=u.full_name, gender="M", education_level=EducationLevel.BACHELOR,
                national_id=make_national_id(region="310105", birth=f"{dt.date(2002, 1, 1) + dt.timedelta(days=i // 99):%Y%m%d}",
                                             seq=i % 99),
                college=college, major=majors[(i // C.CLASS_SIZE) % 12], school_class=classes[i // C.CLASS_SIZE],
                origin_region_id="310104", graduation_year=2027, phone=f"138{i:08d}")
        for i, u in enumerate(users)], batch_size=2000)
    log(f"  {need} students in {time.perf_counter() - started:.0f} s")

    def org(i: int, kind: str = "91") -> C.Org:
        return C.Org(f"上海规模{i:04d}科技有限公司" if kind == "91" else f"上海规模{i:04d}工作室",
                     C.uscc("310115", f"MA1TC{i:04d}", kind), "310115", f"上海市张江路{i}号", "王经理",
                     f"021-5{i:07d}")

    orgs = [org(i) for i in range(600)]
    studios = [org(i, "92") for i in range(600, 900)]
    schools = [C.Org(n, C.uscc("310110", f"4250061{i:02d}", "12"), "310110", "上海市", "研究生院", "021-65642222")
               for i, n in enumerate(["复旦大学", "同济大学", "上海交通大学", "华东师范大学", "上海大学"])]
    verifier = {c.pk: counselors[i // 10].pk for i, c in enumerate(classes)}
    regs, texts = [], []
    for i, s in enumerate(students):
        p = C.Plan(number=s.student_number, name=s.name, class_index=0, major="规模专业", national_id=s.national_id,
                   phone=s.phone)
        kind = rng.choices(["dispatch_general", "labour_contract", "flexible_other", "study_master", "awaiting"],
                           [62, 10, 5, 15, 8])[0]
        submitted = start + dt.timedelta(days=rng.uniform(0, 80))
        verified = submitted + dt.timedelta(hours=rng.uniform(5, 96))
        fields = {"student": s, "version": 1, "status": "verified", "organisation_done": True, "archive_done": True,
                  "submitted_at": submitted, "verified_at": verified, "verified_by_id": verifier[s.school_class_id],
                  "verification_no": f"QXS{i:010d}"}
        text = ""
        if kind == "awaiting":
            fields["destination_type_id"] = "awaiting_job_hunting"
        elif kind == "study_master":
            school = rng.choice(schools)
            fields.update(destination_type_id="study_master", org_name=school.name, org_uscc=school.uscc,
                          org_region_id=school.region)
            text = "\n".join(C.admission_letter(p, school, rng).lines())
        elif kind == "flexible_other":
            o = rng.choice(studios)
            fields.update(destination_type_id="flexible_other", org_name=o.name, org_uscc=o.uscc, org_region_id=o.region,
                          org_address=o.address, org_contact_name=o.contact, org_contact_phone=o.phone)
            text = "\n".join(C.flexible_form(p, o, rng.choice(["家教辅导", "短视频创作", "网店经营"]), "5000元", rng).lines())
        else:
            o = orgs[min(int(rng.expovariate(1 / 60)), len(orgs) - 1)]
            fields.update(destination_type_id=kind, org_name=o.name, org_uscc=o.uscc, org_region_id=o.region,
                          org_address=o.address, org_contact_name=o.contact, org_contact_phone=o.phone)
            doc = C.contract(p, o, rng) if kind == "labour_contract" else C.agreement(p, o, rng)
            text = "\n".join(doc.lines())
        regs.append(Registration(**fields))
        texts.append(text)
    Registration.objects.bulk_create(regs, batch_size=2000)
    files, readings = [], []
    for reg, text in zip(regs, texts, strict=True):
        if text:
            sha = hashlib.sha256(f"{reg.pk}:{text}".encode()).hexdigest()
            files.append(EvidenceFile(registration=reg, file=f"evidence/scale/{sha[:16]}.pdf", original_name="协议书.pdf",
                                      content_type="application/pdf", size=len(text.encode()), sha256=sha,
                                      uploaded_by_id=reg.student.user_id))
            readings.append((sha, text))
    EvidenceFile.objects.bulk_create(files, batch_size=2000)
    EvidenceReading.objects.bulk_create([
        EvidenceReading(evidence=f, sha256=sha, status=ReadingStatus.READ, text=text, pages_read=1, pages_total=1,
                        engine="bench text layer", fields=evidence_fields_extract(text=text).as_dict())
        for f, (sha, text) in zip(files, readings, strict=True)], batch_size=2000)
    student_states_recount(fix=True, students=Student.objects.filter(college=college))
    log(f"  {need} records, {len(files)} readings in {time.perf_counter() - started:.0f} s")
    return need, len(files)


def time_checks(*, runs: int = 3, log) -> dict:
    """A cold run (the near-duplicate cache of the new readings is empty), then `runs` warm runs; each check
    timed on its own too."""
    from quxiang.integrity import checks
    from quxiang.integrity.selectors import records_current

    records = records_current().count()
    out = {"records": records, "runs": [], "per_check": {}}
    for run in range(runs + 1):
        t = time.perf_counter()
        results = checks.checks_run()
        seconds = time.perf_counter() - t
        out["runs"].append(seconds)
        log(f"  checks_run {run + 1}{' (cold: near-duplicate cache empty)' if run == 0 else ''}: {seconds:.2f} s, "
            f"{sum(len(f) for _c, f in results)} findings")
    for check in checks.CHECKS:  # where the time goes (one more, warm pass)
        t = time.perf_counter()
        check.run(year=None)
        out["per_check"][check.key] = time.perf_counter() - t
    out["cold"] = out["runs"][0]
    out["median_warm"] = statistics.median(out["runs"][1:])
    return out
